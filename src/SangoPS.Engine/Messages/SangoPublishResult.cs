namespace SangoPS.Messages;

/// <summary>What happened to one published message (Publish-SangoMessage -PassThru).</summary>
public sealed class SangoPublishResult
{
    public SangoPublishResult(string topic, int payloadBytes, int qos, bool retain, string endpoint, string reasonCode, ushort? packetId)
    {
        Topic = topic;
        PayloadBytes = payloadBytes;
        QoS = qos;
        Retain = retain;
        Endpoint = endpoint;
        ReasonCode = reasonCode;
        PacketId = packetId;
    }

    public string Topic { get; }

    public int PayloadBytes { get; }

    public int QoS { get; }

    public bool Retain { get; }

    public string Endpoint { get; }

    /// <summary>The broker's answer (Success, NoMatchingSubscribers); "Sent" for QoS 0, which has no answer.</summary>
    public string ReasonCode { get; }

    public ushort? PacketId { get; }

    /// <summary>How many pipeline inputs the message carried: 1, or more with Publish-SangoMessage -Batch.</summary>
    public int SampleCount { get; init; } = 1;

    public override string ToString() => $"{Topic} {PayloadBytes} B QoS {QoS}: {ReasonCode}";
}
