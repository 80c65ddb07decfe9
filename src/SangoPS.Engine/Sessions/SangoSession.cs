using System.Globalization;
using System.Threading.Channels;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Publishing;
using SangoPS.Receiving;
using SangoPS.Transport;

namespace SangoPS.Sessions;

/// <summary>
/// A connection to a broker (or a cluster of endpoints) that cmdlets share: a small read-only facade over three
/// parts that each own one thing and one lock. <see cref="SessionConnection"/> owns the live client (connect,
/// fallback, TLS, reconnect); <see cref="SessionSubscriptions"/> owns what the broker sends us (the filters, the
/// routing into each receive's inbox, restore after a reconnect); <see cref="Outbox"/> owns what we send (admission
/// against the <see cref="PayloadLimit"/>, the one writer, the spool). Safe to use from several threads and runspaces.
/// </summary>
public sealed class SangoSession : IDisposable
{
    private static int s_lastId;

    private readonly SangoSessionOptions _options;
    private readonly SessionConnection _connection;
    private readonly SessionSubscriptions _subscriptions;
    private readonly Outbox _outbox;
    private readonly SessionUsage _usage = new();
    private readonly DateTime _openedAt = DateTime.Now;
    private int _disposed;

    internal SangoSession(SangoSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Id = Interlocked.Increment(ref s_lastId);
        Name = string.IsNullOrWhiteSpace(options.Name) ? "Session" + Id.ToString(CultureInfo.InvariantCulture) : options.Name;
        _subscriptions = new SessionSubscriptions(Name, options, Log, _usage);
        _connection = new SessionConnection(Name, options, Log, _subscriptions.OnMessageReceivedAsync, OnReconnectedAsync);
        _subscriptions.Attach(_connection);
        _outbox = new Outbox(Name, options, Log, _usage, _connection);
        if (options.UserName is not null && options.Endpoints.Where(e => !e.UseTls).Select(e => e.ToString()).ToArray() is { Length: > 0 } plain)
        {
            Log.Warning($"Session '{Name}' sends the user name and password of '{options.UserName}' in clear text to {string.Join(", ", plain)} (no TLS): anyone on the network path can read them. Use mqtts:// or wss:// endpoints.");
        }

        if (options.SkipCertificateCheck)
        {
            Log.Warning($"Session '{Name}': certificate checks are skipped (-SkipCertificateCheck). The connection is encrypted but the server is not verified; anyone able to intercept it can read and change the messages.");
        }
    }

    public int Id { get; }

    public string Name { get; }

    public string[] Endpoints => _options.Endpoints.Select(e => e.ToString()).ToArray();

    public string? ConnectedEndpoint => _connection.Current?.Endpoint.ToString();

    /// <summary>"5.0" or "3.1.1": what was agreed with the broker (or requested, before connecting).</summary>
    public string ProtocolVersion => EndpointConnector.VersionText(_connection.Current?.Version ?? _options.ProtocolVersion);

    public string ClientId => _options.ClientId;

    public string? UserName => _options.UserName;

    public bool IsConnected => _connection.IsConnected;

    /// <summary>
    /// The largest payload this session sends: -MaxPayloadBytes, or less when the broker's Maximum Packet Size
    /// leaves less room (for the shortest topic at QoS 1/2; each publish is checked exactly by <see cref="PayloadLimit"/>).
    /// </summary>
    public int MaxPayloadBytes => _outbox.Limit.MaxPayloadBytes;

    /// <summary>The broker's advertised MQTT 5 Maximum Packet Size, when it advertises one.</summary>
    public long? BrokerMaximumPacketSize => _connection.Current is { BrokerMaximumPacketSize: > 0 } c ? c.BrokerMaximumPacketSize : null;

    /// <summary>The broker's advertised Receive Maximum: how many QoS 1/2 publishes may be unacknowledged at once.</summary>
    public int? BrokerReceiveMaximum => _connection.Current?.Result.ReceiveMaximum is > 0 and var maximum ? maximum : null;

    public long MessagesPublished => _usage.MessagesPublished;

    public long MessagesReceived => _usage.MessagesReceived;

    public DateTime? ConnectedAt => _connection.ConnectedAt;

    public bool IsCertificateCheckSkipped => _options.SkipCertificateCheck;

    /// <summary>The TLS version of the current connection (for example Tls13); empty for plain MQTT.</summary>
    public string? TlsProtocol => _connection.Current?.Tls?.Protocol;

    /// <summary>The TLS cipher suite of the current connection (for example TLS_AES_256_GCM_SHA384).</summary>
    public string? CipherSuite => _connection.Current?.Tls?.CipherSuite;

    public SangoFailure? LastFailure => _connection.LastFailure;

    public int TimeoutSeconds => _options.TimeoutSeconds;

    /// <summary>How many times the session reconnected after losing its connection.</summary>
    public int FailoverCount => _connection.FailoverCount;

    /// <summary>True while the session has lost its connection and is trying the endpoints again.</summary>
    public bool IsReconnecting => _connection.IsReconnecting;

    public string Strategy => _options.Strategy.ToString();

    /// <summary>Messages waiting to be sent (for example while reconnecting), and sent but not yet acknowledged.</summary>
    public int QueuedMessages => _outbox.Pending;

    public string? SpoolDirectory => _outbox.SpoolPath;

    /// <summary>Topics seen in received messages (for tab completion), at most a few hundred.</summary>
    public IReadOnlyCollection<string> SeenTopics => _subscriptions.SeenTopics;

    /// <summary>The session's story: connection events, warnings. Written by every part, drained by cmdlets on their pipeline thread.</summary>
    internal SessionLog Log { get; } = new();

    internal SangoSessionOptions Options => _options;

    public override string ToString() =>
        $"{Name} (Id {Id}) {(IsConnected ? "connected to " + ConnectedEndpoint : "not connected")}";

    /// <summary>What the session has sent and received since it was opened.</summary>
    public SangoUsage GetUsage() => _usage.Snapshot(this, _openedAt, DateTime.Now);

    /// <summary>
    /// Tries the endpoints in order (RoundRobin: starting at this user's next one) until one accepts; throws a
    /// SangoException naming every failure. With a spool directory the session instead keeps trying in the
    /// background, so a scheduled task's messages are queued and spooled rather than lost.
    /// </summary>
    internal async Task ConnectAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var failures = await _connection.ConnectFirstAsync(cancellationToken).ConfigureAwait(false);
        if (failures is null)
        {
            throw new SangoException(SangoErrorIds.SessionClosed, SangoErrorKind.InvalidOperation,
                $"Session '{Name}' was closed while it connected.", this, "Run Connect-Sango to open a new session.");
        }

        if (failures.Count == 0)
        {
            _outbox.DrainSpoolOnce();
            return;
        }

        var error = ConnectFailure.From(failures);
        if (!_outbox.HasSpool || failures.Any(f => f.ErrorId is SangoErrorIds.AuthenticationFailed or SangoErrorIds.CertificateValidationFailed))
        {
            // A refused password or certificate is not an outage: retrying it in the background would only lock
            // the account, so it fails now even with a spool.
            throw error;
        }

        Log.Warning($"{error.Message}{Environment.NewLine}Session '{Name}' keeps trying in the background; QoS 1/2 messages are queued and, if no endpoint answers before Disconnect-Sango, kept in the spool {_outbox.SpoolPath} for the next session.");
        _connection.StartReconnecting(null);
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
            _connection.StartReconnecting(null);
        }
    }

    /// <summary>A receive-only session for one endpoint of this session's cluster (Receive-SangoMessage -AllEndpoints).</summary>
    internal SangoSession CreateEndpointReceiver(int index) =>
        new(_options.ForSingleEndpoint(_options.Endpoints[index], $"{_options.ClientId}-rx{index + 1}"));

    /// <inheritdoc cref="Outbox.Admit"/>
    internal PublishRequest CreatePublishRequest(string topic, byte[] payload, int qos, bool retain, object? source, PublishTracker? tracker,
        int sampleCount = 1)
    {
        ThrowIfDisposed();
        return _outbox.Admit(topic, payload, qos, retain, source, tracker, sampleCount);
    }

    /// <inheritdoc cref="Outbox.BatchRoom"/>
    internal int BatchRoom(string topic, int qos, int sampleBytes, object? source) => _outbox.BatchRoom(topic, qos, sampleBytes, source);

    /// <inheritdoc cref="Outbox.SubmitAsync"/>
    internal ValueTask SubmitAsync(PublishRequest request, CancellationToken cancellationToken) => _outbox.SubmitAsync(request, cancellationToken);

    /// <inheritdoc cref="SessionConnection.FlushWritesAsync"/>
    internal Task FlushWritesAsync(CancellationToken cancellationToken) => _connection.FlushWritesAsync(cancellationToken);

    internal Task<MessageSubscription> SubscribeAsync(IReadOnlyList<string> filters, int qos, CancellationToken cancellationToken,
        Channel<SangoMessage>? sharedInbox = null)
    {
        ThrowIfDisposed();
        return _subscriptions.SubscribeAsync(filters, qos, cancellationToken, sharedInbox);
    }

    internal Task UnsubscribeAsync(MessageSubscription subscription) => _subscriptions.UnsubscribeAsync(subscription);

    /// <summary>
    /// Sends what is queued (waiting up to the timeout, also for a reconnect), spools QoS 1/2 messages that
    /// still could not be delivered (or counts them as lost without a spool), then closes the connection.
    /// </summary>
    internal async Task<SangoDisconnectResult> DisconnectAsync(CancellationToken cancellationToken, TimeSpan? drainTimeout = null)
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
                await _outbox.WaitIdleAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Log.Verbose($"Session '{Name}': {QueuedMessages} message(s) not acknowledged after {_options.TimeoutSeconds} s.");
            }
        }

        try
        {
            return await _connection.CloseAsync(_outbox.SettleUndelivered, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _connection.MarkClosing();
        _subscriptions.Dispose();
        _outbox.Dispose();
        _connection.Dispose();
        _options.ClearPassword();
        if (_options.OwnsClientCertificate)
        {
            _options.ClientCertificate?.Dispose();
        }
    }

    private async Task OnReconnectedAsync(CancellationToken cancellationToken)
    {
        await _subscriptions.RestoreAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _outbox.DrainSpoolOnce();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Runs on the supervisor's thread: nobody else would hear of it.
            Log.Warning($"Session '{Name}' could not read its spool {_outbox.SpoolPath}: {exception.Message} The spooled messages stay there for the next session.");
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
