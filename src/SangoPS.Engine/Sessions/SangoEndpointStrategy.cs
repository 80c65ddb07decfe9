namespace SangoPS.Sessions;

/// <summary>How a session picks among the endpoints of a cluster.</summary>
public enum SangoEndpointStrategy
{
    /// <summary>The first reachable endpoint, in the order given.</summary>
    Failover,

    /// <summary>Each new session starts at the next endpoint (remembered per user across processes).</summary>
    RoundRobin,
}
