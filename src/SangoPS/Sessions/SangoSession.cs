using System.Collections.Concurrent;
using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Publishing;
using SangoPS.Receiving;
using SangoPS.Transport;

namespace SangoPS.Sessions;

/// <summary>
/// A connection to a broker (or a cluster of endpoints) that cmdlets share. Its public surface is read-only;
/// the MQTT client, queues and locks are internal. Safe to use from several threads and runspaces: connect and
/// disconnect are serialised, every publish goes through the one writer of <see cref="PublishPipeline"/>, and
/// subscription changes are serialised under their own lock.
/// </summary>
public sealed class SangoSession : IDisposable
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
    private volatile MessageSubscription[] _receivers = [];
    private volatile ConnectedClient? _connection;
    private volatile bool _closing;
    private long _messagesPublished;
    private long _messagesReceived;
    private int _disposed;

    public SangoSession(SangoSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Id = Interlocked.Increment(ref s_lastId);
        Name = string.IsNullOrWhiteSpace(options.Name) ? "Session" + Id.ToString(CultureInfo.InvariantCulture) : options.Name;
        _connector = new EndpointConnector(options, Log, AttachHandlers);
        _publisher = new PublishPipeline(options.MaxQueuedMessages, TimeSpan.FromSeconds(options.AckTimeoutSeconds),
            () => _connection, _ => Interlocked.Increment(ref _messagesPublished));
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
    public int MaxPayloadBytes
    {
        get
        {
            var connection = _connection;
            if (connection is null || connection.BrokerMaximumPacketSize == 0)
            {
                return _options.MaxPayloadBytes;
            }

            var brokerRoom = PublishPacketSize.MaxPayloadForPacketSize(connection.BrokerMaximumPacketSize, 1, 1,
                connection.Version == SangoProtocolVersion.V500, 0);
            return (int)Math.Max(0, Math.Min(_options.MaxPayloadBytes, brokerRoom));
        }
    }

    /// <summary>The broker's advertised MQTT 5 Maximum Packet Size, when it advertises one.</summary>
    public long? BrokerMaximumPacketSize => _connection is { BrokerMaximumPacketSize: > 0 } c ? c.BrokerMaximumPacketSize : null;

    /// <summary>The broker's advertised Receive Maximum: how many QoS 1/2 publishes may be unacknowledged at once.</summary>
    public int? BrokerReceiveMaximum => _connection?.Result.ReceiveMaximum is > 0 ? _connection.Result.ReceiveMaximum : null;

    public long MessagesPublished => Interlocked.Read(ref _messagesPublished);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public DateTime? ConnectedAt { get; private set; }

    public bool IsCertificateCheckSkipped => _options.SkipCertificateCheck;

    public SangoFailure? LastFailure { get; private set; }

    public int TimeoutSeconds => _options.TimeoutSeconds;

    /// <summary>Topics seen in received messages (for tab completion), at most a few hundred.</summary>
    public IReadOnlyCollection<string> SeenTopics => _seenTopics.Keys.ToArray();

    /// <summary>The session's story: connection events, warnings. Drained by cmdlets on their pipeline thread.</summary>
    public SessionLog Log { get; } = new();

    internal SangoSessionOptions Options => _options;

    internal PublishPipeline Publisher => _publisher;

    public override string ToString() =>
        $"{Name} (Id {Id}) {(IsConnected ? "connected to " + ConnectedEndpoint : "not connected")}";

    /// <summary>Tries the endpoints in order until one accepts; throws a SangoException naming every failure.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _connectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var failures = new List<EndpointAttemptFailure>();
            foreach (var endpoint in _options.Endpoints)
            {
                var (connected, failure) = await _connector.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                if (connected is not null)
                {
                    Install(connected);
                    return;
                }

                failures.Add(failure!);
                LastFailure = new SangoFailure(DateTime.Now, endpoint.ToString(), failure!.Reason);
                Log.Verbose($"{endpoint}: {failure.Reason}");
            }

            throw ConnectError(failures);
        }
        finally
        {
            _connectionGate.Release();
        }
    }

    /// <summary>
    /// Checks a message against the topic rules and the payload limit and turns it into a request for the
    /// writer. Throws InvalidTopic or PayloadTooLarge before anything is sent.
    /// </summary>
    internal PublishRequest CreatePublishRequest(string topic, byte[] payload, int qos, bool retain, object? source, PublishTracker? tracker)
    {
        ThrowIfDisposed();
        var topicBytes = TopicRules.ValidateTopicName(topic);
        CheckPayloadSize(topic, topicBytes, payload.Length, qos, source);
        var message = new MqttApplicationMessage
        {
            Topic = topic,
            PayloadSegment = payload,
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
            Retain = retain,
        };
        return new PublishRequest(message, payload.Length, source, tracker);
    }

    internal async Task<MessageSubscription> SubscribeAsync(IReadOnlyList<string> filters, int qos, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        foreach (var filter in filters)
        {
            TopicRules.ValidateTopicFilter(filter);
        }

        var subscription = new MessageSubscription(filters, qos);
        await _subscriptionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Listen before subscribing: retained messages arrive right after the SUBACK.
            _receivers = [.. _receivers, subscription];
            var added = _subscriptions.Add(subscription);
            try
            {
                if (added.Count > 0)
                {
                    await SubscribeAtBrokerAsync(added, qos, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                _receivers = _receivers.Where(r => r != subscription).ToArray();
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
            _receivers = _receivers.Where(r => r != subscription).ToArray();
            var removed = _subscriptions.Remove(subscription);
            var connection = _connection;
            if (removed.Count > 0 && connection is not null && connection.Client.IsConnected)
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

    /// <summary>Sends what is queued (bounded by the timeout), then closes the connection cleanly.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        if (_disposed != 0)
        {
            return;
        }

        await _connectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = _connection;
            if (connection is not null && connection.Client.IsConnected)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
                try
                {
                    await _publisher.WaitIdleAsync(timeout.Token).ConfigureAwait(false);

                    // The socket closes with linger 0, which discards unsent bytes: a ping round trip proves the
                    // broker has read every QoS 0 message written before it.
                    await connection.Client.PingAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Log.Warning($"Session '{Name}': {_publisher.Queued + _publisher.InFlight} message(s) were still unacknowledged after {_options.TimeoutSeconds} s when the session closed.");
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Log.Debug($"Final ping failed: {exception.Message}");
                }

                _closing = true;
                try
                {
                    await connection.Client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    Log.Debug($"Disconnect from {connection.Endpoint} ended with: {exception.Message}");
                }

                Log.Verbose($"Disconnected from {connection.Endpoint}.");
            }

            _closing = true;
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
        foreach (var receiver in _receivers)
        {
            receiver.Dispose();
        }

        _publisher.Dispose();
        var connection = _connection;
        connection?.Client.Dispose();
        _options.ClearPassword();
    }

    private void Install(ConnectedClient connected)
    {
        _connection = connected;
        ConnectedAt = DateTime.Now;
        var result = connected.Result;
        var limits = result.MaximumPacketSize is > 0 ? $", maximum packet size {result.MaximumPacketSize:N0} bytes" : ", no maximum packet size advertised";
        var receiveMaximum = result.ReceiveMaximum is > 0 ? $", receive maximum {result.ReceiveMaximum}" : string.Empty;
        Log.Verbose($"Connected to {connected.Endpoint} with MQTT {EndpointConnector.VersionText(connected.Version)} as '{_options.ClientId}'{limits}{receiveMaximum}; payload limit {MaxPayloadBytes:N0} bytes.");
    }

    private void AttachHandlers(IMqttClient client)
    {
        // Attached before connecting: messages of a persistent session may arrive right after the CONNACK.
        client.ApplicationMessageReceivedAsync += args => OnMessageReceivedAsync(client, args);
        client.DisconnectedAsync += args =>
        {
            if (args.ClientWasConnected && !_closing && ReferenceEquals(_connection?.Client, client))
            {
                var reason = args.ReasonString ?? args.Exception?.GetBaseException().Message ?? args.Reason.ToString();
                var endpoint = _connection?.Endpoint.ToString() ?? "the broker";
                LastFailure = new SangoFailure(DateTime.Now, endpoint, $"{args.Reason}: {reason}");
                Log.Warning($"Session '{Name}' lost its connection to {endpoint}: {args.Reason} ({reason}).");
            }

            return Task.CompletedTask;
        };
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
        Interlocked.Increment(ref _messagesReceived);
        if (_seenTopics.Count < SeenTopicsLimit)
        {
            _seenTopics.TryAdd(message.Topic, 0);
        }

        foreach (var receiver in _receivers)
        {
            if (receiver.Matches(message.Topic))
            {
                await receiver.DeliverAsync(received).ConfigureAwait(false);
            }
        }
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

    private void CheckPayloadSize(string topic, int topicBytes, int payloadBytes, int qos, object? source)
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
        var room = PublishPacketSize.MaxPayloadForPacketSize(connection.BrokerMaximumPacketSize, topicBytes, qos, isVersion5, 0);
        if (payloadBytes > room)
        {
            var total = PublishPacketSize.Total(topicBytes, qos, isVersion5, 0, payloadBytes);
            throw new SangoException(SangoErrorIds.PayloadTooLarge, SangoErrorKind.LimitsExceeded,
                $"The payload for '{TopicRules.Printable(topic)}' is {payloadBytes:N0} bytes; the broker at {connection.Endpoint} accepts packets of at most {connection.BrokerMaximumPacketSize:N0} bytes (its MQTT 5 Maximum Packet Size), which leaves {Math.Max(0, room):N0} bytes for a payload on this topic at QoS {qos} (this packet would be {total:N0} bytes). It was not sent: the broker would have closed the connection.",
                source, "Split the data into smaller messages or use a shorter topic.");
        }
    }

    private static SangoException ConnectError(List<EndpointAttemptFailure> failures)
    {
        if (failures.Count == 1)
        {
            var only = failures[0];
            return new SangoException(only.ErrorId, only.Kind, $"Could not connect to {only.Endpoint}: {only.Reason}",
                only.Target ?? only.Endpoint.ToString(), RecommendedAction(only.ErrorId));
        }

        var sameKind = failures.All(f => f.ErrorId == failures[0].ErrorId);
        var errorId = sameKind ? failures[0].ErrorId : SangoErrorIds.ConnectFailed;
        var kind = sameKind ? failures[0].Kind : SangoErrorKind.ConnectionError;
        var lines = string.Join(Environment.NewLine, failures.Select(f => $"  {f.Endpoint}: {f.Reason}"));
        return new SangoException(errorId, kind,
            $"Could not connect to any of the {failures.Count} endpoints:{Environment.NewLine}{lines}",
            failures.Select(f => f.Endpoint.ToString()).ToArray(), RecommendedAction(errorId));
    }

    private static string RecommendedAction(string errorId) => errorId switch
    {
        SangoErrorIds.AuthenticationFailed => "Check the user name and password given with -Credential.",
        SangoErrorIds.CertificateValidationFailed => "Read the problems listed; pass the issuing CA with -CaFile, connect by a name the certificate is for (or -TlsServerName), or as a last resort -SkipCertificateCheck.",
        SangoErrorIds.ConnectTimeout => "Check that the broker runs and that a firewall lets the port through, or raise -TimeoutSeconds.",
        _ => "Check the endpoint's host name and port and that the broker is running.",
    };

    private void ThrowIfDisposed()
    {
        if (_disposed != 0)
        {
            throw new SangoException(SangoErrorIds.SessionClosed, SangoErrorKind.InvalidOperation,
                $"Session '{Name}' is closed.", this, "Run Connect-Sango to open a new session.");
        }
    }
}
