namespace SangoPS.Spool;

/// <summary>A spooled message claimed by this process for sending.</summary>
internal sealed class SpoolEntry
{
    public SpoolEntry(string claimedPath, string originalPath, string topic, byte[] payload, int qos, bool retain, string? messageId)
    {
        ClaimedPath = claimedPath;
        OriginalPath = originalPath;
        Topic = topic;
        Payload = payload;
        QoS = qos;
        Retain = retain;
        MessageId = messageId;
    }

    public string ClaimedPath { get; }

    public string OriginalPath { get; }

    public string Topic { get; }

    public byte[] Payload { get; }

    public int QoS { get; }

    public bool Retain { get; }

    public string? MessageId { get; }
}
