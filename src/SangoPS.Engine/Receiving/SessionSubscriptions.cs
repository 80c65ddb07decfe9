using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Sessions;
using SangoPS.Transport;

namespace SangoPS.Receiving;

/// <summary>
/// The session's subscriptions part: the table of filters the broker has, SUBSCRIBE and UNSUBSCRIBE, restoring
/// them after a reconnect, and routing each received message to the inbox of every receive that wants it.
/// Subscription changes are serialised under its one gate; routing runs on MQTTnet's thread and only copies.
/// </summary>
internal sealed class SessionSubscriptions : IDisposable
{
    private const int SeenTopicsLimit = 500;

    private readonly string _sessionName;
    private readonly SangoSessionOptions _options;
    private readonly SessionLog _log;
    private readonly SessionUsage _usage;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SubscriptionTable _table = new();
    private readonly MessageRouter _router;
    private readonly ConcurrentDictionary<string, byte> _seenTopics = new(StringComparer.Ordinal);
    private SessionConnection? _connection;

    public SessionSubscriptions(string sessionName, SangoSessionOptions options, SessionLog log, SessionUsage usage)
    {
        _sessionName = sessionName;
        _options = options;
        _log = log;
        _usage = usage;
        _router = new MessageRouter(keepBacklog: !options.CleanSession);
    }

    /// <summary>Topics seen in received messages (for tab completion), at most a few hundred.</summary>
    public IReadOnlyCollection<string> SeenTopics => _seenTopics.Keys.ToArray();

    /// <summary>Set once by the session: the connection and this part need each other (it routes the connection's messages).</summary>
    public void Attach(SessionConnection connection) => _connection = connection;

    public async Task<MessageSubscription> SubscribeAsync(IReadOnlyList<string> filters, int qos, CancellationToken cancellationToken,
        Channel<SangoMessage>? sharedInbox = null)
    {
        foreach (var filter in filters)
        {
            TopicRules.ValidateTopicFilter(filter);
        }

        var subscription = new MessageSubscription(filters, qos, sharedInbox);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Listen before subscribing: retained messages arrive right after the SUBACK.
            _router.Add(subscription);

            var added = _table.Add(subscription);
            try
            {
                if (added.Count > 0 && Connection.IsReconnecting)
                {
                    _log.Verbose($"Session '{_sessionName}' is reconnecting; the subscription to {string.Join(", ", added)} is made when it is back.");
                }
                else if (added.Count > 0)
                {
                    await SubscribeAtBrokerAsync(added, qos, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                _router.Remove(subscription);
                _table.Remove(subscription);
                subscription.Dispose();
                throw;
            }

            return subscription;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UnsubscribeAsync(MessageSubscription subscription)
    {
        // Cleanup must not be cancellable by the pipeline that is stopping; it is bounded by the session timeout.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            await _gate.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            subscription.Dispose();
            return;
        }

        try
        {
            // A persistent session keeps what this receive did not hand on, in order, for the next receive.
            _router.Remove(subscription, keepUnread: !_options.CleanSession);
            var removed = _table.Remove(subscription);
            var connection = Connection.Current;
            if (removed.Count > 0 && !_options.CleanSession)
            {
                // A persistent session keeps its subscriptions at the broker on purpose: what is published while
                // nobody listens is kept there and delivered to the next receiver.
                _log.Verbose($"Persistent session '{_sessionName}': the broker keeps the subscription to {string.Join(", ", removed)}.");
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
                    _log.Verbose($"Unsubscribed from {string.Join(", ", removed)}.");
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    // The broker forgets the subscription with the connection anyway; nothing for the user to do.
                    _log.Debug($"Unsubscribe from {string.Join(", ", removed)} failed: {exception.Message}");
                }
            }
        }
        finally
        {
            subscription.Dispose();
            _gate.Release();
        }
    }

    /// <summary>After a reconnect: the broker of a clean session forgot every filter, and another endpoint never had them.</summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var group in _table.Snapshot().GroupBy(p => p.Value))
            {
                try
                {
                    await SubscribeAtBrokerAsync(group.Select(p => p.Key).ToList(), group.Key, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    _log.Warning($"Session '{_sessionName}' could not restore its subscription to {string.Join(", ", group.Select(p => p.Key))}: {exception.Message}");
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>MQTTnet's receive handler: copies the message and hands it to the router (which waits only when an inbox is full).</summary>
    public async Task OnMessageReceivedAsync(IMqttClient client, MqttApplicationMessageReceivedEventArgs args)
    {
        var message = args.ApplicationMessage;
        Dictionary<string, string>? properties = null;
        if (message.UserProperties is { Count: > 0 })
        {
            properties = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in message.UserProperties)
            {
                properties[property.Name] = Encoding.UTF8.GetString(property.ValueBuffer.Span);
            }
        }

        var current = _connection?.Current;
        var endpoint = current is not null && ReferenceEquals(current.Client, client) ? current.Endpoint.ToString() : string.Empty;
        Action? acknowledge = null;
        if (!_options.CleanSession && message.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce)
        {
            // A persistent session's broker keeps what we have not acknowledged: acknowledge only once a receive
            // handed the message on, so one that stops early, or a process that ends, leaves the rest with the broker.
            args.AutoAcknowledge = false;
            acknowledge = new ReceiptAcknowledgement(args, () => _connection?.Current is { } live && ReferenceEquals(live.Client, client) && client.IsConnected).Acknowledge;
        }

        var received = new SangoMessage(message.Topic, System.Buffers.BuffersExtensions.ToArray(message.Payload), (int)message.QualityOfServiceLevel,
            message.Retain, DateTime.Now, endpoint, message.ContentType, properties)
        {
            AcknowledgeReceipt = acknowledge,
        };
        _usage.Received((int)message.Payload.Length);
        if (_seenTopics.Count < SeenTopicsLimit)
        {
            _seenTopics.TryAdd(message.Topic, 0);
        }

        await _router.RouteAsync(received).ConfigureAwait(false);
    }

    /// <summary>Ends every receive's inbox: the session is closing.</summary>
    public void Dispose()
    {
        foreach (var receiver in _router.Receivers)
        {
            receiver.Dispose();
        }
    }

    private SessionConnection Connection => _connection ?? throw new InvalidOperationException("The subscriptions part has no connection yet.");

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

        _log.Verbose($"Subscribed to {string.Join(", ", filters)} at QoS {qos} on {connection.Endpoint}.");
    }

    private ConnectedClient RequireConnection(object? target)
    {
        var connection = Connection.Current;
        if (connection is null || !Connection.IsConnected)
        {
            throw new SangoException(SangoErrorIds.NotConnected, SangoErrorKind.ConnectionError,
                $"Session '{_sessionName}' is not connected.", target, "Run Connect-Sango to open a new session.");
        }

        return connection;
    }
}
