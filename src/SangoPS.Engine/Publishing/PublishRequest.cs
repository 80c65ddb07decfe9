using MQTTnet;
using SangoPS.Spool;

namespace SangoPS.Publishing;

/// <summary>One message on its way out, with the input it came from and the tracker that wants its outcome.</summary>
internal sealed class PublishRequest
{
    public PublishRequest(MqttApplicationMessage message, int payloadBytes, object? source, PublishTracker? tracker)
    {
        Message = message;
        PayloadBytes = payloadBytes;
        Source = source;
        Tracker = tracker;
    }

    public MqttApplicationMessage Message { get; }

    /// <summary>The topic, without exposing MQTTnet's types to the cmdlet assembly (it lives in another load context).</summary>
    public string Topic => Message.Topic;

    public int PayloadBytes { get; }

    /// <summary>The pipeline input that produced the message: the target of any error about it.</summary>
    public object? Source { get; }

    public PublishTracker? Tracker { get; }

    /// <summary>How many pipeline inputs the message carries: 1, or more when -Batch packed several.</summary>
    public int SampleCount { get; init; } = 1;

    /// <summary>Position within the tracker, so outcomes are reported in input order.</summary>
    public long TrackerSequence { get; set; }

    /// <summary>Position in the session's stream, so resent and replayed messages keep their order.</summary>
    public long StreamSequence { get; set; }

    /// <summary>A copy sent again after a failover (already reported once): no outcome is reported for it.</summary>
    public bool IsReplay { get; private init; }

    /// <summary>Set when the message came from the spool: removed from it once acknowledged.</summary>
    public SpoolEntry? Spooled { get; init; }

    /// <summary>How many times this message went unacknowledged past its deadline.</summary>
    public int TimeoutCount { get; set; }

    public bool IsAtLeastOnce => Message.QualityOfServiceLevel != MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce;

    public PublishRequest AsReplay() =>
        new(Message, PayloadBytes, Source, null) { IsReplay = true, StreamSequence = StreamSequence, SampleCount = SampleCount };
}
