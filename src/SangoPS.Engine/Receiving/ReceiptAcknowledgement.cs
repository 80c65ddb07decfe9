using MQTTnet;

namespace SangoPS.Receiving;

/// <summary>
/// Acknowledges one received QoS 1/2 message to the broker later, once SangoPS has handed it on (MQTTnet 5 lets a
/// receive handler turn its automatic acknowledgement off). Only on the connection the message came on: after a
/// reconnect the broker sends an unacknowledged message again, and the old packet id may name another message.
/// </summary>
internal sealed class ReceiptAcknowledgement
{
    private static readonly TimeSpan SendLimit = TimeSpan.FromSeconds(10);

    private readonly MqttApplicationMessageReceivedEventArgs _received;
    private readonly Func<bool> _isSameConnection;
    private int _done;

    public ReceiptAcknowledgement(MqttApplicationMessageReceivedEventArgs received, Func<bool> isSameConnection)
    {
        _received = received;
        _isSameConnection = isSameConnection;
    }

    /// <summary>Sends the acknowledgement once, in the background; the caller (a pipeline thread) never waits for it.</summary>
    public void Acknowledge()
    {
        if (Interlocked.Exchange(ref _done, 1) != 0 || !_isSameConnection())
        {
            return;
        }

        _ = SendAsync();
    }

    private async Task SendAsync()
    {
        using var limit = new CancellationTokenSource(SendLimit);
        try
        {
            await _received.AcknowledgeAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The connection went away first: the broker keeps the message and sends it again (a receiver may see
            // it twice, never not at all).
        }
    }
}
