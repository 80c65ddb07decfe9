using SangoPS.Errors;
using SangoPS.Sessions;
using SangoPS.Transport;

namespace SangoPS.Messages;

/// <summary>
/// The one place that decides how large a payload may be: the smaller of Connect-Sango -MaxPayloadBytes and what
/// the broker's MQTT 5 Maximum Packet Size leaves for a given topic and QoS, counted exactly (a broker cuts the
/// connection over a packet one byte too large). It answers for one message and for a -Batch message (a JSON
/// array), at either protocol version: whether it fits, how much room there is, or the refusal with its reason.
/// A value for one connection: the session makes a new one when the broker (and so its limit) changes.
/// </summary>
internal sealed class PayloadLimit
{
    /// <summary>The bytes a -Batch message adds around its samples: '[' and ']'.</summary>
    public const int BatchBracketBytes = 2;

    private readonly int _configured;
    private readonly uint _brokerMaximumPacketSize;
    private readonly bool _isVersion5;
    private readonly string? _broker;

    /// <param name="configuredMaxPayloadBytes">Connect-Sango -MaxPayloadBytes.</param>
    /// <param name="brokerMaximumPacketSize">The broker's advertised Maximum Packet Size; 0 when it advertised none (or speaks 3.1.1).</param>
    /// <param name="isVersion5">MQTT 5 packets carry properties (SangoPS's message id) that count in the packet.</param>
    /// <param name="broker">The endpoint that advertised the limit, named in refusals.</param>
    public PayloadLimit(int configuredMaxPayloadBytes, uint brokerMaximumPacketSize, bool isVersion5, string? broker)
    {
        _configured = configuredMaxPayloadBytes;
        _brokerMaximumPacketSize = brokerMaximumPacketSize;
        _isVersion5 = isVersion5;
        _broker = broker;
    }

    /// <summary>The limit in force on <paramref name="connection"/>; before any connection, the configured limit alone.</summary>
    public static PayloadLimit For(SangoSessionOptions options, ConnectedClient? connection) => connection is null
        ? new(options.MaxPayloadBytes, 0, options.ProtocolVersion == SangoProtocolVersion.V500, null)
        : new(options.MaxPayloadBytes, connection.BrokerMaximumPacketSize, connection.Version == SangoProtocolVersion.V500, connection.Endpoint.ToString());

    /// <summary>
    /// The broker's limit alone, for a message another session accepted under its own -MaxPayloadBytes (a spooled
    /// one): only what the broker would refuse stops it.
    /// </summary>
    public PayloadLimit BrokerOnly() => new(int.MaxValue, _brokerMaximumPacketSize, _isVersion5, _broker);

    /// <summary>The bytes of the properties every SangoPS message carries at this protocol version (the message id).</summary>
    public int PropertyBytes => _isVersion5 ? MessageIds.PropertyBytes : 0;

    /// <summary>
    /// The largest payload a session sends at all: the room for the shortest topic at QoS 1/2 (each message is
    /// still checked exactly, for its own topic and QoS).
    /// </summary>
    public int MaxPayloadBytes => RoomFor(topicBytes: 1, qos: 1);

    /// <summary>The largest payload for a topic of <paramref name="topicBytes"/> UTF-8 bytes at <paramref name="qos"/>; 0 when none fits.</summary>
    public int RoomFor(int topicBytes, int qos) => (int)Math.Max(0, Math.Min(_configured, BrokerRoom(topicBytes, qos)));

    /// <summary>Whether one sample fits in a -Batch message of its own.</summary>
    public bool FitsInBatch(int sampleBytes, int topicBytes, int qos) => sampleBytes + BatchBracketBytes <= RoomFor(topicBytes, qos);

    /// <summary>The refusal of a payload that does not fit, or null when it fits.</summary>
    public SangoException? Check(string topic, int topicBytes, int payloadBytes, int qos, object? source)
    {
        if (payloadBytes > _configured)
        {
            return new SangoException(SangoErrorIds.PayloadTooLarge, SangoErrorKind.LimitsExceeded,
                $"The payload for '{TopicRules.Printable(topic)}' is {payloadBytes:N0} bytes, over the limit of {_configured:N0} bytes set by Connect-Sango -MaxPayloadBytes (default {SangoSessionOptions.DefaultMaxPayloadBytes:N0}, the service's 50 KB message size). It was not sent.",
                source, "Split the data into smaller messages, or raise -MaxPayloadBytes if the broker accepts larger messages.");
        }

        var room = BrokerRoom(topicBytes, qos);
        if (payloadBytes <= room)
        {
            return null;
        }

        var total = PublishPacketSize.Total(topicBytes, qos, _isVersion5, PropertyBytes, payloadBytes);
        return new SangoException(SangoErrorIds.PayloadTooLarge, SangoErrorKind.LimitsExceeded,
            $"The payload for '{TopicRules.Printable(topic)}' is {payloadBytes:N0} bytes; the broker at {_broker} accepts packets of at most {_brokerMaximumPacketSize:N0} bytes (its MQTT 5 Maximum Packet Size), which leaves {Math.Max(0, room):N0} bytes for a payload on this topic at QoS {qos} (this packet would be {total:N0} bytes). It was not sent: the broker would have closed the connection.",
            source, "Split the data into smaller messages or use a shorter topic.");
    }

    /// <summary>The refusal of a -Batch sample too large for a message of its own, or null when it fits.</summary>
    public SangoException? CheckBatchSample(string topic, int topicBytes, int sampleBytes, int qos, object? source)
    {
        if (FitsInBatch(sampleBytes, topicBytes, qos))
        {
            return null;
        }

        return new SangoException(SangoErrorIds.PayloadTooLarge, SangoErrorKind.LimitsExceeded,
            $"An input for '{TopicRules.Printable(topic)}' is {sampleBytes:N0} bytes as JSON; in a -Batch message (a JSON array) it needs {sampleBytes + BatchBracketBytes:N0} bytes, over the payload limit of {RoomFor(topicBytes, qos):N0} bytes for this topic. It was not sent; the other inputs are.",
            source, "Send this input without -Batch after splitting it, or raise Connect-Sango -MaxPayloadBytes if the broker accepts larger messages.");
    }

    private long BrokerRoom(int topicBytes, int qos) => _brokerMaximumPacketSize == 0
        ? long.MaxValue
        : PublishPacketSize.MaxPayloadForPacketSize(_brokerMaximumPacketSize, topicBytes, qos, _isVersion5, PropertyBytes);
}
