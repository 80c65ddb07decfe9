using System.Text;

namespace SangoPS.Messages;

/// <summary>A message received from a broker, as Receive-SangoMessage emits it.</summary>
public sealed class SangoMessage
{
    private static readonly IReadOnlyDictionary<string, string> NoProperties = new Dictionary<string, string>();

    public SangoMessage(string topic, byte[] payloadBytes, int qos, bool retain, DateTime receivedAt, string endpoint,
        string? contentType = null, IReadOnlyDictionary<string, string>? userProperties = null)
    {
        Topic = topic;
        PayloadBytes = payloadBytes;
        QoS = qos;
        Retain = retain;
        ReceivedAt = receivedAt;
        Endpoint = endpoint;
        ContentType = contentType;
        UserProperties = userProperties ?? NoProperties;
        Payload = DecodeText(payloadBytes);
    }

    public string Topic { get; }

    /// <summary>The payload as UTF-8 text, or (with Receive-SangoMessage -AsJson) the objects parsed from it.</summary>
    public object? Payload { get; internal set; }

    /// <summary>The payload exactly as received; relaying a message sends these bytes.</summary>
    public byte[] PayloadBytes { get; }

    public int Size => PayloadBytes.Length;

    public int QoS { get; }

    public bool Retain { get; }

    public DateTime ReceivedAt { get; }

    public string Endpoint { get; }

    /// <summary>MQTT 5 content type, when the publisher set one.</summary>
    public string? ContentType { get; }

    /// <summary>MQTT 5 user properties (a repeated name keeps its last value).</summary>
    public IReadOnlyDictionary<string, string> UserProperties { get; }

    public string PayloadText => DecodeText(PayloadBytes);

    /// <summary>The id SangoPS gave the message when it was published over MQTT 5 (null otherwise).</summary>
    public string? MessageId => UserProperties.TryGetValue(MessageIds.UserPropertyName, out var id) ? id : null;

    /// <summary>A copy with another Payload (e.g. parsed JSON); the original may be shared by several receivers.</summary>
    internal SangoMessage WithPayload(object? payload) =>
        new(Topic, PayloadBytes, QoS, Retain, ReceivedAt, Endpoint, ContentType, UserProperties) { Payload = payload, AcknowledgeReceipt = AcknowledgeReceipt };

    /// <summary>
    /// Set for a QoS 1/2 message of a persistent session: acknowledges it to the broker, which keeps it for this
    /// client until then. Called once the message was handed on (<see cref="MarkHandedOn"/>).
    /// </summary>
    internal Action? AcknowledgeReceipt { get; init; }

    /// <summary>A receive emitted the message (or dropped it as a repeat): the broker may forget it now.</summary>
    internal void MarkHandedOn() => AcknowledgeReceipt?.Invoke();

    public override string ToString() => $"{Topic} {Preview(PayloadText, 60)}";

    internal static string Preview(string text, int length)
    {
        var oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length <= length ? oneLine : string.Concat(oneLine.AsSpan(0, length - 1), "…");
    }

    // Lenient on purpose: a binary payload still shows something, and PayloadBytes keeps the exact bytes.
    private static string DecodeText(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
