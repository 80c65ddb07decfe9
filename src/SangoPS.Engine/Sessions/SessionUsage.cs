namespace SangoPS.Sessions;

/// <summary>
/// The running totals of one session, updated from network and writer threads without locks; read as a
/// <see cref="SangoUsage"/> snapshot.
/// </summary>
internal sealed class SessionUsage
{
    private long _messagesPublished;
    private long _samplesPublished;
    private long _bytesPublished;
    private long _publishFailures;
    private long _messagesReceived;
    private long _bytesReceived;

    public long MessagesPublished => Interlocked.Read(ref _messagesPublished);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public void Published(int payloadBytes, int samples)
    {
        Interlocked.Increment(ref _messagesPublished);
        Interlocked.Add(ref _samplesPublished, samples);
        Interlocked.Add(ref _bytesPublished, payloadBytes);
    }

    public void Failed() => Interlocked.Increment(ref _publishFailures);

    public void Received(int payloadBytes)
    {
        Interlocked.Increment(ref _messagesReceived);
        Interlocked.Add(ref _bytesReceived, payloadBytes);
    }

    public SangoUsage Snapshot(SangoSession session, DateTime since, DateTime now) => new()
    {
        SessionId = session.Id,
        SessionName = session.Name,
        Since = since,
        Duration = now - since,
        MessagesPublished = MessagesPublished,
        SamplesPublished = Interlocked.Read(ref _samplesPublished),
        BytesPublished = Interlocked.Read(ref _bytesPublished),
        PublishFailures = Interlocked.Read(ref _publishFailures),
        MessagesReceived = MessagesReceived,
        BytesReceived = Interlocked.Read(ref _bytesReceived),
        QueuedMessages = session.QueuedMessages,
        FailoverCount = session.FailoverCount,
        MaxPayloadBytes = session.MaxPayloadBytes,
    };
}
