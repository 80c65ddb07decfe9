using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// The open sessions of each runspace and which one is the default (the last connected), the way
/// Connect-VIServer sets $DefaultVIServer. Sessions belong to the runspace that opened them: two runspaces of one
/// process do not take each other's default, and when a runspace closes (or SangoPS is removed from it) its
/// sessions are disposed, which spools what they could not deliver. A session object may still be passed to any
/// runspace. Held weakly per runspace, so a runspace that is gone leaves nothing behind.
/// </summary>
internal static class SessionRegistry
{
    private static readonly ConditionalWeakTable<Runspace, RunspaceSessions> ByRunspace = new();

    // Code that runs without a runspace on its thread (none of SangoPS's cmdlets do) shares one list.
    private static readonly RunspaceSessions WithoutRunspace = new();

    static SessionRegistry()
    {
        // A script that ends, or calls exit, without Disconnect-Sango: the host may end the process without
        // closing its runspace, and what the sessions still hold must reach their spools first.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeEverySession();
    }

    public static void Add(Runspace? runspace, SangoSession session)
    {
        var sessions = runspace is null ? WithoutRunspace : ByRunspace.GetValue(runspace, Watch);
        lock (sessions)
        {
            sessions.Open.Add(session);
            sessions.Default = session;
        }
    }

    public static void Remove(SangoSession session)
    {
        Remove(WithoutRunspace, session);
        foreach (var (_, sessions) in ByRunspace)
        {
            Remove(sessions, session);
        }
    }

    public static SangoSession? GetDefault(Runspace? runspace)
    {
        // Called for every input of a pipeline: one lock-free lookup and a volatile read (writers still lock, to
        // keep the list and the default consistent with each other).
        var sessions = runspace is null ? WithoutRunspace : ByRunspace.TryGetValue(runspace, out var found) ? found : null;
        return sessions is null ? null : Volatile.Read(ref sessions.Default);
    }

    public static IReadOnlyList<SangoSession> GetAll(Runspace? runspace)
    {
        var sessions = runspace is null ? WithoutRunspace : ByRunspace.TryGetValue(runspace, out var found) ? found : null;
        if (sessions is null)
        {
            return [];
        }

        lock (sessions)
        {
            return sessions.Open.ToArray();
        }
    }

    /// <summary>Disposes and forgets every session of <paramref name="runspace"/>: it is closing, or SangoPS is being removed from it.</summary>
    public static void DisposeAll(Runspace? runspace)
    {
        var sessions = runspace is null ? WithoutRunspace : ByRunspace.TryGetValue(runspace, out var found) ? found : null;
        if (sessions is null)
        {
            return;
        }

        SangoSession[] open;
        lock (sessions)
        {
            open = sessions.Open.ToArray();
            sessions.Open.Clear();
            sessions.Default = null;
        }

        foreach (var session in open)
        {
            try
            {
                // Dispose settles the outbox: QoS 1/2 messages not yet acknowledged go to the session's spool.
                session.Dispose();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Called while a runspace closes or the process exits: nobody is left to report to, and one session
                // that fails to close must not keep the others from spooling (nor crash the exiting process).
            }
        }
    }

    private static void DisposeEverySession()
    {
        DisposeAll(null);
        foreach (var (runspace, _) in ByRunspace)
        {
            DisposeAll(runspace);
        }
    }

    private static RunspaceSessions Watch(Runspace runspace)
    {
        runspace.StateChanged += OnRunspaceStateChanged;
        return new RunspaceSessions();
    }

    private static void OnRunspaceStateChanged(object? sender, RunspaceStateEventArgs e)
    {
        if (sender is Runspace runspace && e.RunspaceStateInfo.State is RunspaceState.Closing or RunspaceState.Closed or RunspaceState.Broken)
        {
            DisposeAll(runspace);
        }
    }

    private static void Remove(RunspaceSessions sessions, SangoSession session)
    {
        lock (sessions)
        {
            if (!sessions.Open.Remove(session))
            {
                return;
            }

            if (ReferenceEquals(sessions.Default, session))
            {
                // The previous session, if any, becomes the default again.
                sessions.Default = sessions.Open.Count > 0 ? sessions.Open[^1] : null;
            }
        }
    }

    private sealed class RunspaceSessions
    {
        public List<SangoSession> Open { get; } = new();

        public SangoSession? Default;
    }
}
