using System.Collections.Concurrent;

namespace SangoPS.Sessions;

/// <summary>
/// A queue of log lines. Library code runs on network and thread-pool threads, where PowerShell's streams must
/// not be touched, so it only enqueues here; a cmdlet drains the queue on its pipeline thread.
/// The queue is bounded so that a session nobody drains (a long unattended run) cannot grow without end.
/// </summary>
public sealed class SessionLog
{
    private const int Capacity = 1000;
    private readonly ConcurrentQueue<SessionLogEntry> _entries = new();

    public void Verbose(string text) => Add(SessionLogLevel.Verbose, text);

    public void Warning(string text) => Add(SessionLogLevel.Warning, text);

    public void Debug(string text) => Add(SessionLogLevel.Debug, text);

    public bool TryTake(out SessionLogEntry entry) => _entries.TryDequeue(out entry);

    private void Add(SessionLogLevel level, string text)
    {
        _entries.Enqueue(new SessionLogEntry(level, text));
        while (_entries.Count > Capacity && _entries.TryDequeue(out _))
        {
            // Oldest lines go first: the recent story is the one a user needs.
        }
    }
}
