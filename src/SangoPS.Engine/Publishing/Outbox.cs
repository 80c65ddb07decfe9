using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Sessions;
using SangoPS.Spool;
using SangoPS.Transport;

namespace SangoPS.Publishing;

/// <summary>
/// The session's outbox: admission (topic rules, the payload limit, the queue bounds and back-pressure), building
/// the MQTT message, the one writer with its window, resend and replay (<see cref="PublishWriter"/>), sending
/// what an earlier session left in the spool, and settling what could not be delivered when the session closes.
/// </summary>
internal sealed class Outbox : IPublishHost, IDisposable
{
    /// <summary>How long a producer waiting for room waits before it checks again whether the session started reconnecting.</summary>
    private static readonly TimeSpan RoomCheckInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _sessionName;
    private readonly SangoSessionOptions _options;
    private readonly SessionLog _log;
    private readonly SessionUsage _usage;
    private readonly SessionConnection _connection;
    private readonly MessageSpool? _spool;
    private readonly PublishWriter _writer;
    private int _spoolDrained;
    private int _settled;

    public Outbox(string sessionName, SangoSessionOptions options, SessionLog log, SessionUsage usage, SessionConnection connection)
    {
        _sessionName = sessionName;
        _options = options;
        _log = log;
        _usage = usage;
        _connection = connection;
        _spool = options.SpoolDirectory is null ? null : new MessageSpool(options.SpoolDirectory);
        _writer = new PublishWriter(options.MaxQueuedMessages, TimeSpan.FromSeconds(options.AckTimeoutSeconds), this);
    }

    public string? SpoolPath => _spool?.Path;

    public bool HasSpool => _spool is not null;

    /// <summary>Messages waiting to be sent (for example while reconnecting), and sent but not yet acknowledged.</summary>
    public int Pending => _writer.Queued + _writer.InFlight;

    /// <summary>The payload limit on the current connection (the configured one before any).</summary>
    public PayloadLimit Limit => PayloadLimit.For(_options, _connection.Current);

    /// <summary>
    /// Checks a message against the topic rules and the payload limit and turns it into a request for the
    /// writer. Throws InvalidTopic or PayloadTooLarge before anything is sent.
    /// </summary>
    public PublishRequest Admit(string topic, byte[] payload, int qos, bool retain, object? source, PublishTracker? tracker, int sampleCount)
    {
        var topicBytes = TopicRules.ValidateTopicName(topic);
        var limit = Limit;
        if (limit.Check(topic, topicBytes, payload.Length, qos, source) is { } refusal)
        {
            throw refusal;
        }

        var messageId = limit.PropertyBytes > 0 ? MessageIds.NewId() : null;
        return new PublishRequest(OutgoingMessage.Build(topic, payload, qos, retain, messageId), payload.Length, source, tracker)
        {
            SampleCount = sampleCount,
        };
    }

    /// <summary>
    /// The room for a -Batch message to <paramref name="topic"/> at <paramref name="qos"/>; throws InvalidTopic, or
    /// PayloadTooLarge when a sample of <paramref name="sampleBytes"/> cannot fit even alone.
    /// </summary>
    public int BatchRoom(string topic, int qos, int sampleBytes, object? source)
    {
        var topicBytes = TopicRules.ValidateTopicName(topic);
        var limit = Limit;
        if (limit.CheckBatchSample(topic, topicBytes, sampleBytes, qos, source) is { } refusal)
        {
            throw refusal;
        }

        return limit.RoomFor(topicBytes, qos);
    }

    /// <summary>
    /// Queues an admitted request. Connected: waits while the queue is long (the broker is slower than the
    /// producer), so the memory it holds stays small. Reconnecting: queues up to -MaxQueuedMessages, then refuses
    /// with QueueFull at once rather than block the producer for as long as the outage lasts.
    /// </summary>
    public async ValueTask SubmitAsync(PublishRequest request, CancellationToken cancellationToken)
    {
        if (_connection.IsReconnecting && _writer.IsQueueFull)
        {
            throw new SangoException(SangoErrorIds.QueueFull, SangoErrorKind.LimitsExceeded,
                $"Session '{_sessionName}' is reconnecting and its queue is full ({Pending:N0} message(s), -MaxQueuedMessages); the message for '{request.Topic}' was not queued.",
                request.Source, "Raise Connect-Sango -MaxQueuedMessages, or publish again once the session is connected.");
        }

        while (_writer.IsBacklogged && !_connection.IsReconnecting)
        {
            await _writer.WaitForRoomAsync(RoomCheckInterval, cancellationToken).ConfigureAwait(false);
        }

        await _writer.EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends what an earlier session left in the spool before anything new, once per session.</summary>
    public void DrainSpoolOnce()
    {
        if (_spool is null || Interlocked.Exchange(ref _spoolDrained, 1) != 0)
        {
            return;
        }

        var entries = _spool.ClaimAll(_log);
        if (entries.Count == 0)
        {
            return;
        }

        var withIds = _connection.Current?.Version == SangoProtocolVersion.V500;
        var limit = Limit.BrokerOnly();
        var sendable = new List<PublishRequest>(entries.Count);
        foreach (var entry in entries)
        {
            // Checked against this session's broker before sending: a message it cannot take would otherwise be
            // claimed, refused and sent again by every run.
            SangoException? refusal;
            try
            {
                refusal = limit.Check(entry.Topic, TopicRules.ValidateTopicName(entry.Topic), entry.Payload.Length, entry.QoS, entry.Topic);
            }
            catch (SangoException invalidTopic)
            {
                refusal = invalidTopic;
            }

            if (refusal is not null)
            {
                Reject(entry, refusal.Message);
                continue;
            }

            sendable.Add(new PublishRequest(OutgoingMessage.Build(entry.Topic, entry.Payload, entry.QoS, entry.Retain, withIds ? entry.MessageId ?? MessageIds.NewId() : null), entry.Payload.Length, null, null)
            {
                Spooled = entry,
            });
        }

        _log.Verbose($"Sending {sendable.Count} spooled message(s) from {_spool.Path} first.");
        _writer.EnqueueFirst(sendable);
    }

    /// <summary>Waits until everything queued so far is acknowledged or failed; the token bounds it.</summary>
    public Task WaitIdleAsync(CancellationToken cancellationToken) => _writer.WaitIdleAsync(cancellationToken);

    /// <summary>Stops the writer once; what it could not deliver goes to the spool, or is reported as lost.</summary>
    public SangoDisconnectResult SettleUndelivered()
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return new SangoDisconnectResult(0, 0);
        }

        var undelivered = _writer.Close();
        if (undelivered.Count == 0)
        {
            return new SangoDisconnectResult(0, 0);
        }

        var spooled = 0;
        var lost = 0;
        foreach (var request in undelivered)
        {
            string? spoolProblem = null;
            try
            {
                if (request.Spooled is { } entry)
                {
                    MessageSpool.Release(entry);
                    spooled++;
                    continue;
                }

                if (_spool is not null)
                {
                    var message = request.Message;
                    _spool.Write(message.Topic, OutgoingMessage.PayloadOf(message), (int)message.QualityOfServiceLevel, message.Retain, OutgoingMessage.MessageIdOf(message));
                    ReportSpooled(request, _spool.Path);
                    spooled++;
                    continue;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                spoolProblem = exception.Message;
                _log.Warning($"A message for '{request.Message.Topic}' could not be written to the spool {_spool?.Path}: {exception.Message}");
            }

            lost++;
            _writer.Fail(request, spoolProblem is null
                ? new SangoException(SangoErrorIds.MessagesNotDelivered, SangoErrorKind.ConnectionError,
                    $"The message for '{request.Message.Topic}' was not delivered before session '{_sessionName}' closed.", request.Source,
                    "Give Connect-Sango a -SpoolDirectory so undelivered messages are kept for the next session.")
                : new SangoException(SangoErrorIds.MessagesNotDelivered, SangoErrorKind.ConnectionError,
                    $"The message for '{request.Message.Topic}' was not delivered before session '{_sessionName}' closed, and could not be kept in the spool {_spool?.Path}: {spoolProblem}", request.Source,
                    "Free space on the spool's drive, or let the user running the session write to the spool folder; then publish the message again."));
        }

        if (spooled > 0)
        {
            _log.Warning($"Session '{_sessionName}' closed with {spooled} undelivered QoS 1/2 message(s); they are kept in the spool {_spool?.Path ?? _options.SpoolDirectory} and the next session using it sends them first.");
        }

        if (lost > 0)
        {
            _log.Warning(_spool is null
                ? $"Session '{_sessionName}' closed with {lost} QoS 1/2 message(s) that no broker acknowledged; they were not delivered. Use -SpoolDirectory to keep them."
                : $"Session '{_sessionName}' closed with {lost} QoS 1/2 message(s) that no broker acknowledged and that could not be written to the spool {_spool.Path}; they were not delivered.");
        }

        return new SangoDisconnectResult(spooled, lost);
    }

    /// <summary>The request was written to the spool at close: that is its outcome (the next session sends it).</summary>
    private static void ReportSpooled(PublishRequest request, string spoolPath)
    {
        if (!request.IsReplay)
        {
            var message = request.Message;
            request.Tracker?.Complete(new PublishOutcome(request,
                new SangoPublishResult(message.Topic, request.PayloadBytes, (int)message.QualityOfServiceLevel, message.Retain, spoolPath, "Spooled", null)
                {
                    SampleCount = request.SampleCount,
                },
                null));
        }
    }

    public void Dispose()
    {
        SettleUndelivered();
        _writer.Dispose();
    }

    TimeSpan IPublishHost.ReplayWindow =>
        _options.Endpoints.Count > 1 ? TimeSpan.FromSeconds(_options.ReplaySeconds) : TimeSpan.Zero;

    Task<ConnectedClient?> IPublishHost.WaitForConnectionAsync(CancellationToken cancellationToken) => _connection.WaitForConnectionAsync(cancellationToken);

    void IPublishHost.OnPublished(PublishRequest request) => _usage.Published(request.PayloadBytes, request.SampleCount);

    void IPublishHost.OnPublishFailed(PublishRequest request) => _usage.Failed();

    void IPublishHost.OnConnectionSuspect(ConnectedClient connection, string reason) => _connection.Suspect(connection, reason);

    void IPublishHost.OnSpooledMessageRejected(PublishRequest request, string reason) => Reject(request.Spooled!, $"the broker refused it: {reason}");

    private void Reject(SpoolEntry entry, string reason)
    {
        try
        {
            var target = _spool!.Reject(entry);
            _log.Warning($"The spooled message {Path.GetFileName(entry.OriginalPath)} for '{entry.Topic}' cannot be sent ({reason}); it was moved to {target} and is not sent again.");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _log.Warning($"The spooled message {Path.GetFileName(entry.OriginalPath)} for '{entry.Topic}' cannot be sent ({reason}), and could not be moved to {_spool!.RejectedPath}: {exception.Message}");
        }
    }
}
