using System.Collections.Concurrent;

namespace SangoPS.Sessions;

/// <summary>
/// The open sessions of each runspace and which one is the default (the last connected), the way
/// Connect-VIServer sets $DefaultVIServer. Keyed by runspace id so that two runspaces of one process do not
/// take each other's default; a session object itself may still be passed to any runspace.
/// </summary>
public static class SessionRegistry
{
    private static readonly ConcurrentDictionary<Guid, RunspaceSessions> ByRunspace = new();

    public static void Add(Guid runspaceId, SangoSession session)
    {
        var sessions = ByRunspace.GetOrAdd(runspaceId, _ => new RunspaceSessions());
        lock (sessions)
        {
            sessions.Open.Add(session);
            sessions.Default = session;
        }
    }

    public static void Remove(SangoSession session)
    {
        foreach (var sessions in ByRunspace.Values)
        {
            lock (sessions)
            {
                sessions.Open.Remove(session);
                if (ReferenceEquals(sessions.Default, session))
                {
                    // The previous session, if any, becomes the default again.
                    sessions.Default = sessions.Open.Count > 0 ? sessions.Open[^1] : null;
                }
            }
        }
    }

    public static SangoSession? GetDefault(Guid runspaceId)
    {
        // Called for every input of a pipeline: one volatile read, no lock (writers still lock, to keep the list
        // and the default consistent with each other).
        return ByRunspace.TryGetValue(runspaceId, out var sessions) ? Volatile.Read(ref sessions.Default) : null;
    }

    public static IReadOnlyList<SangoSession> GetAll(Guid runspaceId)
    {
        if (!ByRunspace.TryGetValue(runspaceId, out var sessions))
        {
            return [];
        }

        lock (sessions)
        {
            return sessions.Open.ToArray();
        }
    }

    private sealed class RunspaceSessions
    {
        public List<SangoSession> Open { get; } = new();

        public SangoSession? Default;
    }
}
