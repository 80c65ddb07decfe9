using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Session with the open sessions of this runspace, by name.</summary>
public sealed class SessionArgumentCompleter : SangoArgumentCompleter
{
    protected override IEnumerable<(string Value, string? CompletionText, string? Tooltip)> Candidates(IReadOnlyList<SangoSession> sessions) =>
        sessions.Select(s => (s.Name, (string?)$"(Get-SangoSession -Name {Quote(s.Name)})", (string?)s.ToString()));
}
