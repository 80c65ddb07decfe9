using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Name with the names of the open sessions.</summary>
public sealed class SessionNameCompleter : SangoArgumentCompleter
{
    protected override IEnumerable<(string Value, string? CompletionText, string? Tooltip)> Candidates(IReadOnlyList<SangoSession> sessions) =>
        sessions.Select(s => (s.Name, (string?)null, (string?)s.ToString()));
}
