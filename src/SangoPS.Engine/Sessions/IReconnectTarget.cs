using SangoPS.Endpoints;
using SangoPS.Transport;

namespace SangoPS.Sessions;

/// <summary>What the reconnect supervisor needs from its session.</summary>
internal interface IReconnectTarget
{
    /// <summary>
    /// Connects to one endpoint and, on success, makes it the session's connection. Returns neither a client nor
    /// a failure when the session is closing, which ends the supervisor.
    /// </summary>
    Task<(ConnectedClient? Connected, EndpointAttemptFailure? Failure)> TryConnectAsync(SangoEndpoint endpoint, CancellationToken cancellationToken);

    void OnAttemptFailed(SangoEndpoint endpoint, EndpointAttemptFailure failure);

    /// <summary>Connected again: restore what the broker has to know (subscriptions) and send what waits (the spool).</summary>
    Task OnReconnectedAsync(CancellationToken cancellationToken);
}
