using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Topic with topics the open sessions have received messages on.</summary>
public sealed class TopicArgumentCompleter : SangoArgumentCompleter
{
    protected override IEnumerable<(string Value, string? CompletionText, string? Tooltip)> Candidates(IReadOnlyList<SangoSession> sessions) =>
        sessions.SelectMany(s => s.SeenTopics).Select(t => (t, (string?)null, (string?)null));
}
