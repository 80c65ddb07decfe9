using MQTTnet;

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

    public int PayloadBytes { get; }

    /// <summary>The pipeline input that produced the message: the target of any error about it.</summary>
    public object? Source { get; }

    public PublishTracker? Tracker { get; }

    /// <summary>Position within the tracker, so outcomes are reported in input order.</summary>
    public long Sequence { get; set; }
}
