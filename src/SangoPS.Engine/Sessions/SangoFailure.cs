namespace SangoPS.Sessions;

/// <summary>When a connection failed, on which endpoint, and why; kept on the session as LastFailure.</summary>
public sealed class SangoFailure
{
    public SangoFailure(DateTime at, string endpoint, string reason)
    {
        At = at;
        Endpoint = endpoint;
        Reason = reason;
    }

    public DateTime At { get; }

    public string Endpoint { get; }

    public string Reason { get; }

    public override string ToString() => $"{At:u} {Endpoint}: {Reason}";
}
