using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Endpoint with the endpoints of the open sessions.</summary>
public sealed class EndpointArgumentCompleter : SangoArgumentCompleter
{
    protected override IEnumerable<(string Value, string? CompletionText, string? Tooltip)> Candidates(IReadOnlyList<SangoSession> sessions) =>
        sessions.SelectMany(s => s.Endpoints).Select(e => (e, (string?)null, (string?)null));
}
