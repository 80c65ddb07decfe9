using System.Collections.Concurrent;

namespace SangoPS.Sessions;

/// <summary>
/// A queue of log lines. Library code runs on network and thread-pool threads, where PowerShell's streams must
/// not be touched, so it only enqueues here and raises <see cref="Written"/>; a cmdlet waiting on its pipeline
/// thread wakes on that signal and drains the queue there. The queue is bounded so that a session nobody drains
/// (a long unattended run) cannot grow without end.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The signal outlives the session on purpose: a cmdlet of another runspace may still wait on it while the session closes.")]
internal sealed class SessionLog
{
    private const int Capacity = 1000;
    private readonly ConcurrentQueue<SessionLogEntry> _entries = new();
    // Never disposed (see the class's attribute); its handle is released with the session by the garbage collector.
    private readonly ManualResetEventSlim _written = new(false);

    /// <summary>Set while lines wait to be drained.</summary>
    public WaitHandle Written => _written.WaitHandle;

    public void Verbose(string text) => Add(SessionLogLevel.Verbose, text);

    public void Warning(string text) => Add(SessionLogLevel.Warning, text);

    public void Debug(string text) => Add(SessionLogLevel.Debug, text);

    /// <summary>Takes every waiting line, oldest first, and clears <see cref="Written"/>.</summary>
    public IEnumerable<SessionLogEntry> Drain()
    {
        // Reset before taking: a line added meanwhile is either taken here or sets the signal again.
        _written.Reset();
        while (_entries.TryDequeue(out var entry))
        {
            yield return entry;
        }
    }

    private void Add(SessionLogLevel level, string text)
    {
        _entries.Enqueue(new SessionLogEntry(level, text));
        while (_entries.Count > Capacity && _entries.TryDequeue(out _))
        {
            // Oldest lines go first: the recent story is the one a user needs.
        }

        _written.Set();
    }
}
