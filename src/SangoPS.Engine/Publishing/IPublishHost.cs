using SangoPS.Transport;

namespace SangoPS.Publishing;

/// <summary>What the writer needs from its session: the live connection, and whom to tell what happened.</summary>
internal interface IPublishHost
{
    /// <summary>The connected client; waits while the session reconnects; null once the session closes.</summary>
    Task<ConnectedClient?> WaitForConnectionAsync(CancellationToken cancellationToken);

    /// <summary>How far back acknowledged messages are replayed after a failover to another endpoint.</summary>
    TimeSpan ReplayWindow { get; }

    void OnPublished(PublishRequest request);

    /// <summary>A message was refused or not delivered (its error has gone to its tracker).</summary>
    void OnPublishFailed(PublishRequest request);

    /// <summary>An acknowledgement never came: the link is probably half-open, so the session should reconnect.</summary>
    void OnConnectionSuspect(ConnectedClient connection, string reason);

    /// <summary>A spooled message the broker refused: it cannot be sent, so it leaves the spool with a warning.</summary>
    void OnSpooledMessageRejected(PublishRequest request, string reason);
}
