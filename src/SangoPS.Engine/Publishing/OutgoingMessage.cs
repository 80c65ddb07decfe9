using System.Text;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using SangoPS.Messages;

namespace SangoPS.Publishing;

/// <summary>Builds the MQTTnet message of a publish, and reads SangoPS's own id back from one.</summary>
internal static class OutgoingMessage
{
    /// <param name="messageId">SangoPS's id (MQTT 5 only); the same id goes out again on resends and replays, so receivers can drop the repeats.</param>
    public static MqttApplicationMessage Build(string topic, byte[] payload, int qos, bool retain, string? messageId)
    {
        var message = new MqttApplicationMessage
        {
            Topic = topic,
            PayloadSegment = payload,
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
            Retain = retain,
        };
        if (messageId is not null)
        {
            message.UserProperties = [new MqttUserProperty(MessageIds.UserPropertyName, new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(messageId)))];
        }

        return message;
    }

    public static string? MessageIdOf(MqttApplicationMessage message) =>
        message.UserProperties?.FirstOrDefault(p => p.Name == MessageIds.UserPropertyName) is { } property
            ? Encoding.UTF8.GetString(property.ValueBuffer.Span)
            : null;

    /// <summary>The payload as one array (the spool writes it whole).</summary>
    public static ReadOnlySpan<byte> PayloadOf(MqttApplicationMessage message) =>
        message.Payload.IsSingleSegment ? message.Payload.FirstSpan : System.Buffers.BuffersExtensions.ToArray(message.Payload);
}
