using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Publishing;
using SangoPS.Receiving;
using SangoPS.Spool;
using SangoPS.Transport;

namespace SangoPS.Sessions;

/// <summary>
/// A connection to a broker (or a cluster of endpoints) that cmdlets share. Its public surface is read-only;
/// the MQTT client, queues and locks are internal. Safe to use from several threads and runspaces: connect and
/// disconnect are serialised, every publish goes through the one writer of <see cref="PublishPipeline"/>, and
/// subscription changes are serialised under their own lock.
/// </summary>
public sealed class SangoSession : IDisposable, IPublishHost, IReconnectTarget
{
    private const int SeenTopicsLimit = 500;
    private static int s_lastId;

    private readonly SangoSessionOptions _options;
    private readonly SemaphoreSlim _connectionGate = new(1, 1);
    private readonly SemaphoreSlim _subscriptionGate = new(1, 1);
    private readonly SubscriptionTable _subscriptions = new();
    private readonly ConcurrentDictionary<string, byte> _seenTopics = new(StringComparer.Ordinal);
    private readonly EndpointConnector _connector;
    private readonly PublishPipeline _publisher;
    private readonly IReadOnlyList<SangoEndpoint> _endpointOrder;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly MessageSpool? _spool;
    private readonly MessageRouter _router;
    private volatile ConnectedClient? _connection;
    private volatile bool _closing;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReconnectSupervisor _supervisor;
    private bool _spoolDrained;
    private readonly SessionUsage _usage = new();
    private readonly DateTime _openedAt = DateTime.Now;
    private int _disposed;
    private int _settled;

    public SangoSession(SangoSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Id = Interlocked.Increment(ref s_lastId);
        Name = string.IsNullOrWhiteSpace(options.Name) ? "Session" + Id.ToString(CultureInfo.InvariantCulture) : options.Name;
        _connector = new EndpointConnector(options, Log, AttachHandlers);
        _publisher = new PublishPipeline(options.MaxQueuedMessages, TimeSpan.FromSeconds(options.AckTimeoutSeconds), this);
        _endpointOrder = options.Strategy == SangoEndpointStrategy.RoundRobin
            ? EndpointRotation.NextOrder(options.Endpoints)
            : options.Endpoints;
        _supervisor = new ReconnectSupervisor(Name, _endpointOrder, this, Log);
        _router = new MessageRouter(keepBacklog: !options.CleanSession);
        _spool = options.SpoolDirectory is null ? null : new MessageSpool(options.SpoolDirectory);
        if (options.SkipCertificateCheck)
        {
            Log.Warning($"Session '{Name}': certificate checks are skipped (-SkipCertificateCheck). The connection is encrypted but the server is not verified; anyone able to intercept it can read and change the messages.");
        }
    }

    public int Id { get; }

    public string Name { get; }

    public string[] Endpoints => _options.Endpoints.Select(e => e.ToString()).ToArray();

    public string? ConnectedEndpoint => _connection?.Endpoint.ToString();

    /// <summary>"5.0" or "3.1.1": what was agreed with the broker (or requested, before connecting).</summary>
    public string ProtocolVersion => EndpointConnector.VersionText(_connection?.Version ?? _options.ProtocolVersion);

    public string ClientId => _options.ClientId;

    public string? UserName => _options.UserName;

    public bool IsConnected => _connection?.Client.IsConnected == true && !_closing;

    /// <summary>
    /// The largest payload this session sends: -MaxPayloadBytes, or less when the broker's Maximum Packet Size
    /// leaves less room (computed for the shortest topic at QoS 1/2; each publish is checked exactly).
    /// </summary>
    public int MaxPayloadBytes => PayloadRoom(topicBytes: 1, qos: 1);

    /// <summary>The broker's advertised MQTT 5 Maximum Packet Size, when it advertises one.</summary>
    public long? BrokerMaximumPacketSize => _connection is { BrokerMaximumPacketSize: > 0 } c ? c.BrokerMaximumPacketSize : null;

    /// <summary>The broker's advertised Receive Maximum: how many QoS 1/2 publishes may be unacknowledged at once.</summary>
    public int? BrokerReceiveMaximum => _connection?.Result.ReceiveMaximum is > 0 ? _connection.Result.ReceiveMaximum : null;

    public long MessagesPublished => _usage.MessagesPublished;

    public long MessagesReceived => _usage.MessagesReceived;

    public DateTime? ConnectedAt { get; private set; }

    public bool IsCertificateCheckSkipped => _options.SkipCertificateCheck;

    /// <summary>The TLS version of the current connection (for example Tls13); empty for plain MQTT.</summary>
    public string? TlsProtocol => _connection?.Tls?.Protocol;

    /// <summary>The TLS cipher suite of the current connection (for example TLS_AES_256_GCM_SHA384).</summary>
    public string? CipherSuite => _connection?.Tls?.CipherSuite;

    public SangoFailure? LastFailure { get; private set; }

    public int TimeoutSeconds => _options.TimeoutSeconds;

    /// <summary>How many times the session reconnected after losing its connection.</summary>
    public int FailoverCount => _supervisor.FailoverCount;

    /// <summary>True while the session has lost its connection and is trying the endpoints again.</summary>
    public bool IsReconnecting => _supervisor.IsRunning && !_closing;

    public string Strategy => _options.Strategy.ToString();

    /// <summary>Messages waiting to be sent (for example while reconnecting), and sent but not yet acknowledged.</summary>
    public int QueuedMessages => _publisher.Queued + _publisher.InFlight;

    public string? SpoolDirectory => _spool?.Path;

    /// <summary>Topics seen in received messages (for tab completion), at most a few hundred.</summary>
    public IReadOnlyCollection<string> SeenTopics => _seenTopics.Keys.ToArray();

    /// <summary>The session's story: connection events, warnings. Drained by cmdlets on their pipeline thread.</summary>
    public SessionLog Log { get; } = new();

    internal SangoSessionOptions Options => _options;

    internal PublishPipeline Publisher => _publisher;

    public override string ToString() =>
        $"{Name} (Id {Id}) {(IsConnected ? "connected to " + ConnectedEndpoint : "not connected")}";

    /// <summary>
    /// Tries the endpoints in order (RoundRobin: starting at this user's next one) until one accepts; throws a
    /// SangoException naming every failure. With a spool directory the session instead keeps trying in the
    /// background, so a scheduled task's messages are queued and spooled rather than lost.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var failures = new List<EndpointAttemptFailure>();
        ConnectedClient? connected = null;
        foreach (var endpoint in _endpointOrder)
        {
            (connected, var failure) = await ConnectToAsync(endpoint, cancellationToken).ConfigureAwait(false);
            if (connected is not null || failure is null)
            {
                break;
            }

            failures.Add(failure);
            NoteFailure(endpoint, failure.Reason);
            Log.Verbose($"{endpoint}: {failure.Reason}");
        }

        if (connected is not null)
        {
            DrainSpoolOnce();
            return;
        }

        if (failures.Count == 0)
        {
            // Closed while connecting.
            throw new SangoException(SangoErrorIds.SessionClosed, SangoErrorKind.InvalidOperation,
                $"Session '{Name}' was closed while it connected.", this, "Run Connect-Sango to open a new session.");
        }

        var error = ConnectFailure.From(failures);
        if (_spool is null || failures.Any(f => f.ErrorId is SangoErrorIds.AuthenticationFailed or SangoErrorIds.CertificateValidationFailed))
        {
            // A refused password or certificate is not an outage: retrying it in the background would only lock
            // the account, so it fails now even with a spool.
            throw error;
        }

        Log.Warning($"{error.Message}{Environment.NewLine}Session '{Name}' keeps trying in the background; QoS 1/2 messages are queued and, if no endpoint answers before Disconnect-Sango, kept in the spool {_spool.Path} for the next session.");
        StartReconnecting(null);
    }

    /// <summary>Like ConnectAsync, but when no endpoint answers the session keeps trying in the background.</summary>
    internal async Task ConnectOrKeepTryingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SangoException exception) when (exception.Kind is SangoErrorKind.ConnectionError or SangoErrorKind.OperationTimeout)
        {
            Log.Warning($"{exception.Message} Session '{Name}' keeps trying in the background.");
            StartReconnecting(null);
        }
    }

    /// <summary>Receive-only sessions, one per endpoint, for Receive-SangoMessage -AllEndpoints.</summary>
    internal IReadOnlyList<SangoSession> CreateEndpointReceivers() =>
        _options.Endpoints
            .Select((endpoint, index) => new SangoSession(_options.ForSingleEndpoint(endpoint, $"{_options.ClientId}-rx{index + 1}")))
            .ToArray();

    TimeSpan IPublishHost.ReplayWindow =>
        _options.Endpoints.Count > 1 ? TimeSpan.FromSeconds(_options.ReplaySeconds) : TimeSpan.Zero;

    async Task<ConnectedClient?> IPublishHost.WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_closing)
            {
                return null;
            }

            var connection = _connection;
            var signal = _connected.Task;
            if (connection is not null && connection.Client.IsConnected && !_supervisor.IsRunning)
            {
                return connection;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (signal.IsCompleted && ReferenceEquals(signal, _connected.Task) && !_closing &&
                (_connection is null || !_connection.Client.IsConnected))
            {
                // Completed but the link is gone again: wait for the next connection.
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    void IPublishHost.OnPublished(PublishRequest request) => _usage.Published(request.PayloadBytes, request.SampleCount);

    void IPublishHost.OnPublishFailed(PublishRequest request) => _usage.Failed();

    /// <summary>
    /// Waits (at most the session's timeout) until what was written so far has left for the socket: MQTTnet's
    /// writes only reach a coalescing buffer (<see cref="CoalescingWriteStream"/>), so without this a QoS 0 message
    /// reported "Sent" could still be in that buffer. A lost connection is reported elsewhere, so it is not an error here.
    /// </summary>
    internal async Task FlushWritesAsync(CancellationToken cancellationToken)
    {
        if (_connection?.Stream is not { } stream)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
        }
    }

    /// <summary>What the session has sent and received since it was opened.</summary>
    public SangoUsage GetUsage() => _usage.Snapshot(this, _openedAt, DateTime.Now);

    void IPublishHost.OnConnectionSuspect(ConnectedClient connection, string reason)
    {
        if (!ReferenceEquals(connection, _connection) || _closing)
        {
            return;
        }

        Log.Warning($"Session '{Name}': {reason} on {connection.Endpoint}; the connection is treated as broken and the session reconnects.");
        _ = Task.Run(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await connection.Client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // A half-open link may not even take the DISCONNECT: drop it.
                connection.Client.Dispose();
                OnLost(connection, "no acknowledgement (the connection looked alive but was not)");
            }
        });
    }

    void IPublishHost.OnSpooledMessageRejected(PublishRequest request, string reason)
    {
        Log.Warning($"A spooled message for '{request.Message.Topic}' was refused by the broker ({reason}) and was removed from the spool.");
        MessageSpool.Complete(request.Spooled!);
    }

    /// <summary>
    /// Checks a message against the topic rules and the payload limit and turns it into a request for the
    /// writer. Throws InvalidTopic or PayloadTooLarge before anything is sent.
    /// </summary>
    internal PublishRequest CreatePublishRequest(string topic, byte[] payload, int qos, bool retain, object? source, PublishTracker? tracker,
        int sampleCount = 1)
    {
        ThrowIfDisposed();
        var topicBytes = TopicRules.ValidateTopicName(topic);
        var isVersion5 = (_connection?.Version ?? _options.ProtocolVersion) == SangoProtocolVersion.V500;
        CheckPayloadSize(topic, topicBytes, payload.Length, qos, isVersion5 ? MessageIds.PropertyBytes : 0, source);
        return new PublishRequest(BuildMessage(topic, payload, qos, retain, isVersion5 ? MessageIds.NewId() : null), payload.Length, source, tracker)
        {
            SampleCount = sampleCount,
        };
    }

    /// <summary>
    /// The largest payload a message to <paramref name="topic"/> at <paramref name="qos"/> may have now: the smaller of
    /// -MaxPayloadBytes and what the broker's Maximum Packet Size leaves for this topic (exact, as each publish is checked).
    /// </summary>
    /// <exception cref="SangoException">InvalidTopic.</exception>
    internal int MaxPayloadFor(string topic, int qos) => PayloadRoom(TopicRules.ValidateTopicName(topic), qos);

    private int PayloadRoom(int topicBytes, int qos)
    {
        var connection = _connection;
        if (connection is null || connection.BrokerMaximumPacketSize == 0)
        {
            return _options.MaxPayloadBytes;
        }

        var isVersion5 = connection.Version == SangoProtocolVersion.V500;
        var room = PublishPacketSize.MaxPayloadForPacketSize(connection.BrokerMaximumPacketSize, topicBytes, qos, isVersion5,
            isVersion5 ? MessageIds.PropertyBytes : 0);
        return (int)Math.Max(0, Math.Min(_options.MaxPayloadBytes, room));
    }

    internal async Task<MessageSubscription> SubscribeAsync(IReadOnlyList<string> filters, int qos, CancellationToken cancellationToken,
        Channel<SangoMessage>? sharedInbox = null)
    {
        ThrowIfDisposed();
        foreach (var filter in filters)
        {
            TopicRules.ValidateTopicFilter(filter);
        }

        var subscription = new MessageSubscription(filters, qos, sharedInbox);
        await _subscriptionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Listen before subscribing: retained messages arrive right after the SUBACK.
            _router.Add(subscription);

            var added = _subscriptions.Add(subscription);
            try
            {
                if (added.Count > 0 && IsReconnecting)
                {
                    Log.Verbose($"Session '{Name}' is reconnecting; the subscription to {string.Join(", ", added)} is made when it is back.");
                }
                else if (added.Count > 0)
                {
                    await SubscribeAtBrokerAsync(added, qos, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                _router.Remove(subscription);
                _subscriptions.Remove(subscription);
                subscription.Dispose();
                throw;
            }

            return subscription;
        }
        finally
        {
            _subscriptionGate.Release();
        }
    }

    internal async Task UnsubscribeAsync(MessageSubscription subscription)
    {
        // Cleanup must not be cancellable by the pipeline that is stopping; it is bounded by the session timeout.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            await _subscriptionGate.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            subscription.Dispose();
            return;
        }

        try
        {
            _router.Remove(subscription);
            var removed = _subscriptions.Remove(subscription);
            var connection = _connection;
            if (removed.Count > 0 && !_options.CleanSession)
            {
                // A persistent session keeps its subscriptions at the broker on purpose: what is published while
                // nobody listens is kept there and delivered to the next receiver.
                Log.Verbose($"Persistent session '{Name}': the broker keeps the subscription to {string.Join(", ", removed)}.");
            }
            else if (removed.Count > 0 && connection is not null && connection.Client.IsConnected)
            {
                var builder = new MqttClientUnsubscribeOptionsBuilder();
                foreach (var filter in removed)
                {
                    builder.WithTopicFilter(filter);
                }

                try
                {
                    await connection.Client.UnsubscribeAsync(builder.Build(), timeout.Token).ConfigureAwait(false);
                    Log.Verbose($"Unsubscribed from {string.Join(", ", removed)}.");
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    // The broker forgets the subscription with the connection anyway; nothing for the user to do.
                    Log.Debug($"Unsubscribe from {string.Join(", ", removed)} failed: {exception.Message}");
                }
            }
        }
        finally
        {
            subscription.Dispose();
            _subscriptionGate.Release();
        }
    }

    /// <summary>
    /// Sends what is queued (waiting up to the timeout, also for a reconnect), spools QoS 1/2 messages that
    /// still could not be delivered (or counts them as lost without a spool), then closes the connection.
    /// </summary>
    public async Task<SangoDisconnectResult> DisconnectAsync(CancellationToken cancellationToken, TimeSpan? drainTimeout = null)
    {
        if (_disposed != 0)
        {
            return new SangoDisconnectResult(0, 0);
        }

        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(drainTimeout ?? TimeSpan.FromSeconds(_options.TimeoutSeconds));
            try
            {
                await _publisher.WaitIdleAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Log.Verbose($"Session '{Name}': {QueuedMessages} message(s) not acknowledged after {_options.TimeoutSeconds} s.");
            }
        }

        await _connectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _closing = true;
            _lifetime.Cancel();
            var result = SettleUndelivered();
            var connection = _connection;
            if (connection is not null && connection.Client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TimeoutSeconds));
                try
                {
                    // The socket closes with linger 0, which discards unsent bytes: a ping round trip proves the
                    // broker has read every QoS 0 message written before it.
                    await connection.Client.PingAsync(timeout.Token).ConfigureAwait(false);
                    await connection.Client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    Log.Debug($"Disconnect from {connection.Endpoint} ended with: {exception.Message}");
                }

                Log.Verbose($"Disconnected from {connection.Endpoint}.");
            }

            return result;
        }
        finally
        {
            _connectionGate.Release();
            Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closing = true;
        _lifetime.Cancel();
        _connected.TrySetResult();
        foreach (var receiver in _router.Receivers)
        {
            receiver.Dispose();
        }

        SettleUndelivered();
        _publisher.Dispose();
        _connection?.Client.Dispose();
        _options.ClearPassword();
        _lifetime.Dispose();
    }

    /// <summary>Stops the writer once; what it could not deliver goes to the spool, or is counted as lost.</summary>
    private SangoDisconnectResult SettleUndelivered()
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return new SangoDisconnectResult(0, 0);
        }

        var undelivered = _publisher.Close();
        if (undelivered.Count == 0)
        {
            return new SangoDisconnectResult(0, 0);
        }

        var spooled = 0;
        var lost = 0;
        foreach (var request in undelivered)
        {
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
                    _spool.Write(message.Topic, message.Payload.FirstSpan.Length == message.Payload.Length ? message.Payload.FirstSpan : System.Buffers.BuffersExtensions.ToArray(message.Payload),
                        (int)message.QualityOfServiceLevel, message.Retain, MessageIdOf(message));
                    spooled++;
                    continue;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                Log.Warning($"A message for '{request.Message.Topic}' could not be written to the spool: {exception.Message}");
            }

            lost++;
            _publisher.Fail(request, new SangoException(SangoErrorIds.MessagesNotDelivered, SangoErrorKind.ConnectionError,
                $"The message for '{request.Message.Topic}' was not delivered before session '{Name}' closed.", request.Source,
                "Give Connect-Sango a -SpoolDirectory so undelivered messages are kept for the next session."));
        }

        if (spooled > 0)
        {
            Log.Warning($"Session '{Name}' closed with {spooled} undelivered QoS 1/2 message(s); they are kept in the spool {_spool?.Path ?? _options.SpoolDirectory} and the next session using it sends them first.");
        }

        if (lost > 0)
        {
            Log.Warning($"Session '{Name}' closed with {lost} QoS 1/2 message(s) that no broker acknowledged; they were not delivered. Use -SpoolDirectory to keep them.");
        }

        return new SangoDisconnectResult(spooled, lost);
    }

    private static string? MessageIdOf(MqttApplicationMessage message) =>
        message.UserProperties?.FirstOrDefault(p => p.Name == MessageIds.UserPropertyName) is { } property
            ? System.Text.Encoding.UTF8.GetString(property.ValueBuffer.Span)
            : null;

    private void Install(ConnectedClient connected)
    {
        _connection = connected;
        ConnectedAt = DateTime.Now;
        _supervisor.MarkConnected();
        _connected.TrySetResult();
        var result = connected.Result;
        var limits = result.MaximumPacketSize is > 0 ? $", maximum packet size {result.MaximumPacketSize:N0} bytes" : ", no maximum packet size advertised";
        var receiveMaximum = result.ReceiveMaximum is > 0 ? $", receive maximum {result.ReceiveMaximum}" : string.Empty;
        Log.Verbose($"Connected to {connected.Endpoint} with MQTT {EndpointConnector.VersionText(connected.Version)} as '{_options.ClientId}'{limits}{receiveMaximum}; payload limit {MaxPayloadBytes:N0} bytes.");
    }

    private void AttachHandlers(IMqttClient client)
    {
        // Attached before connecting: messages of a persistent session may arrive right after the CONNACK.
        client.ApplicationMessageReceivedAsync += args => OnMessageReceivedAsync(client, args);
        if (_options.LogPackets)
        {
            // Only when asked for (-Debug): it costs a log line per packet.
            client.InspectPacketAsync += args =>
            {
                Log.Debug($"{(args.Direction == MQTTnet.Diagnostics.PacketInspection.MqttPacketFlowDirection.Inbound ? "RX" : "TX")} {Transport.PacketDescription.Describe(args.Buffer)}");
                return Task.CompletedTask;
            };
        }

        client.DisconnectedAsync += args =>
        {
            var connection = _connection;
            if (args.ClientWasConnected && connection is not null && ReferenceEquals(connection.Client, client))
            {
                var reason = args.ReasonString ?? args.Exception?.GetBaseException().Message ?? args.Reason.ToString();
                OnLost(connection, $"{args.Reason} ({reason})");
            }

            return Task.CompletedTask;
        };
    }

    private void OnLost(ConnectedClient connection, string reason)
    {
        if (_closing)
        {
            return;
        }

        NoteFailure(connection.Endpoint, reason);
        Log.Warning($"Session '{Name}' lost its connection to {connection.Endpoint}: {reason}. Reconnecting.");
        StartReconnecting(connection);
    }

    private void StartReconnecting(ConnectedClient? lost)
    {
        if (!_supervisor.TryClaim() || _closing)
        {
            return;
        }

        if (_connected.Task.IsCompleted)
        {
            _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _supervisor.Start(lost, _lifetime.Token);
    }

    Task<(ConnectedClient? Connected, EndpointAttemptFailure? Failure)> IReconnectTarget.TryConnectAsync(SangoEndpoint endpoint, CancellationToken cancellationToken) =>
        ConnectToAsync(endpoint, cancellationToken);

    /// <summary>One endpoint, under the connection gate; installs the connection. Neither result when closing.</summary>
    private async Task<(ConnectedClient? Connected, EndpointAttemptFailure? Failure)> ConnectToAsync(SangoEndpoint endpoint, CancellationToken cancellationToken)
    {
        await _connectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closing)
            {
                return (null, null);
            }

            var (connected, failure) = await _connector.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            if (connected is not null)
            {
                Install(connected);
            }

            return (connected, failure);
        }
        finally
        {
            _connectionGate.Release();
        }
    }

    void IReconnectTarget.OnAttemptFailed(SangoEndpoint endpoint, EndpointAttemptFailure failure) => NoteFailure(endpoint, failure.Reason);

    private void NoteFailure(SangoEndpoint endpoint, string reason) => LastFailure = new SangoFailure(DateTime.Now, endpoint.ToString(), reason);

    async Task IReconnectTarget.OnReconnectedAsync(CancellationToken cancellationToken)
    {
        await RestoreSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        DrainSpoolOnce();
    }

    private async Task RestoreSubscriptionsAsync(CancellationToken token)
    {
        await _subscriptionGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            foreach (var group in _subscriptions.Snapshot().GroupBy(p => p.Value))
            {
                try
                {
                    await SubscribeAtBrokerAsync(group.Select(p => p.Key).ToList(), group.Key, token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Log.Warning($"Session '{Name}' could not restore its subscription to {string.Join(", ", group.Select(p => p.Key))}: {exception.Message}");
                }
            }
        }
        finally
        {
            _subscriptionGate.Release();
        }
    }

    /// <summary>Sends what an earlier session left in the spool before anything new, once per session.</summary>
    private void DrainSpoolOnce()
    {
        if (_spool is null || _spoolDrained)
        {
            return;
        }

        _spoolDrained = true;
        var entries = _spool.ClaimAll(Log);
        if (entries.Count == 0)
        {
            return;
        }

        var isVersion5 = _connection?.Version == SangoProtocolVersion.V500;
        Log.Verbose($"Sending {entries.Count} spooled message(s) from {_spool.Path} first.");
        _publisher.EnqueueFirst(entries.Select(e =>
            new PublishRequest(BuildMessage(e.Topic, e.Payload, e.QoS, e.Retain, isVersion5 ? e.MessageId ?? MessageIds.NewId() : null), e.Payload.Length, null, null)
            {
                Spooled = e,
            }));
    }

    private async Task OnMessageReceivedAsync(IMqttClient client, MqttApplicationMessageReceivedEventArgs args)
    {
        var message = args.ApplicationMessage;
        Dictionary<string, string>? properties = null;
        if (message.UserProperties is { Count: > 0 })
        {
            properties = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in message.UserProperties)
            {
                properties[property.Name] = System.Text.Encoding.UTF8.GetString(property.ValueBuffer.Span);
            }
        }

        var endpoint = ReferenceEquals(_connection?.Client, client) ? _connection!.Endpoint.ToString() : string.Empty;
        var received = new SangoMessage(message.Topic, System.Buffers.BuffersExtensions.ToArray(message.Payload), (int)message.QualityOfServiceLevel,
            message.Retain, DateTime.Now, endpoint, message.ContentType, properties);
        _usage.Received((int)message.Payload.Length);
        if (_seenTopics.Count < SeenTopicsLimit)
        {
            _seenTopics.TryAdd(message.Topic, 0);
        }

        await _router.RouteAsync(received).ConfigureAwait(false);
    }

    private async Task SubscribeAtBrokerAsync(IReadOnlyList<string> filters, int qos, CancellationToken cancellationToken)
    {
        var connection = RequireConnection(filters);
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
        {
            builder.WithTopicFilter(filter, (MqttQualityOfServiceLevel)qos);
        }

        var result = await connection.Client.SubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        var refused = result.Items
            .Where(i => i.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
            .ToList();
        if (refused.Count > 0)
        {
            var what = string.Join(", ", refused.Select(i => $"'{i.TopicFilter.Topic}': {i.ResultCode} ({(int)i.ResultCode})"));
            throw new SangoException(SangoErrorIds.SubscribeRejected, SangoErrorKind.SecurityError,
                $"The broker at {connection.Endpoint} refused the subscription to {what}.", refused[0].TopicFilter.Topic,
                "The user may not read these topics: check the broker's access rules.");
        }

        Log.Verbose($"Subscribed to {string.Join(", ", filters)} at QoS {qos} on {connection.Endpoint}.");
    }

    private ConnectedClient RequireConnection(object? target)
    {
        var connection = _connection;
        if (connection is null || !connection.Client.IsConnected || _closing)
        {
            throw new SangoException(SangoErrorIds.NotConnected, SangoErrorKind.ConnectionError,
                $"Session '{Name}' is not connected.", target, "Run Connect-Sango to open a new session.");
        }

        return connection;
    }

    private static MqttApplicationMessage BuildMessage(string topic, byte[] payload, int qos, bool retain, string? messageId)
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
            // The same id goes out again on resends and replays, so receivers can drop the repeats.
            message.UserProperties = [new MQTTnet.Packets.MqttUserProperty(MessageIds.UserPropertyName, new ReadOnlyMemory<byte>(System.Text.Encoding.UTF8.GetBytes(messageId)))];
        }

        return message;
    }

    private void CheckPayloadSize(string topic, int topicBytes, int payloadBytes, int qos, int propertiesBytes, object? source)
    {
        if (payloadBytes > _options.MaxPayloadBytes)
        {
            throw new SangoException(SangoErrorIds.PayloadTooLarge, SangoErrorKind.LimitsExceeded,
                $"The payload for '{TopicRules.Printable(topic)}' is {payloadBytes:N0} bytes, over the limit of {_options.MaxPayloadBytes:N0} bytes set by Connect-Sango -MaxPayloadBytes (default {SangoSessionOptions.DefaultMaxPayloadBytes:N0}, the service's 50 KB message size). It was not sent.",
                source, "Split the data into smaller messages, or raise -MaxPayloadBytes if the broker accepts larger messages.");
        }

        var connection = _connection;
        if (connection is null || connection.BrokerMaximumPacketSize == 0)
        {
            return;
        }

        var isVersion5 = connection.Version == SangoProtocolVersion.V500;
        var properties = isVersion5 ? propertiesBytes : 0;
        var room = PublishPacketSize.MaxPayloadForPacketSize(connection.BrokerMaximumPacketSize, topicBytes, qos, isVersion5, properties);
        if (payloadBytes > room)
        {
            var total = PublishPacketSize.Total(topicBytes, qos, isVersion5, properties, payloadBytes);
            throw new SangoException(SangoErrorIds.PayloadTooLarge, SangoErrorKind.LimitsExceeded,
                $"The payload for '{TopicRules.Printable(topic)}' is {payloadBytes:N0} bytes; the broker at {connection.Endpoint} accepts packets of at most {connection.BrokerMaximumPacketSize:N0} bytes (its MQTT 5 Maximum Packet Size), which leaves {Math.Max(0, room):N0} bytes for a payload on this topic at QoS {qos} (this packet would be {total:N0} bytes). It was not sent: the broker would have closed the connection.",
                source, "Split the data into smaller messages or use a shorter topic.");
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed != 0)
        {
            throw new SangoException(SangoErrorIds.SessionClosed, SangoErrorKind.InvalidOperation,
                $"Session '{Name}' is closed.", this, "Run Connect-Sango to open a new session.");
        }
    }
}
