namespace SangoPS.Sessions;

/// <summary>
/// What one session has sent and received since it was opened (Get-SangoUsage): the figures to weigh against a
/// hosted broker's monthly message allowance and message-size limit.
/// </summary>
public sealed class SangoUsage
{
    public int SessionId { get; init; }

    public string SessionName { get; init; } = string.Empty;

    /// <summary>When the session was opened (local time).</summary>
    public DateTime Since { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>Messages the broker acknowledged (QoS 1/2) or that were written to the connection (QoS 0).</summary>
    public long MessagesPublished { get; init; }

    /// <summary>Pipeline inputs those messages carried: more than the messages when -Batch packed several into one.</summary>
    public long SamplesPublished { get; init; }

    /// <summary>Payload bytes of the published messages.</summary>
    public long BytesPublished { get; init; }

    /// <summary>Messages refused by the broker or not delivered (each was reported as an error).</summary>
    public long PublishFailures { get; init; }

    public long MessagesReceived { get; init; }

    /// <summary>Payload bytes of the received messages.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Messages waiting to be sent or acknowledged at the time of the snapshot.</summary>
    public int QueuedMessages { get; init; }

    public int FailoverCount { get; init; }

    /// <summary>The session's payload limit, to compare the average message against.</summary>
    public int MaxPayloadBytes { get; init; }

    /// <summary>Samples per published message (1 without -Batch).</summary>
    public double SamplesPerMessage => MessagesPublished == 0 ? 0 : (double)SamplesPublished / MessagesPublished;

    /// <summary>How full the published messages were on average, as a share of the payload limit (0 to 1).</summary>
    public double FillRatio => MessagesPublished == 0 || MaxPayloadBytes == 0 ? 0 : (double)BytesPublished / MessagesPublished / MaxPayloadBytes;

    public override string ToString() =>
        $"{SessionName}: {MessagesPublished:N0} published ({SamplesPublished:N0} samples, {BytesPublished:N0} bytes), {MessagesReceived:N0} received";
}
