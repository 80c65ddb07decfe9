using MQTTnet;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Transport;

namespace SangoPS.Sessions;

/// <summary>
/// The session's connection part: the endpoint list and its order, connecting with protocol fallback and TLS
/// (through <see cref="EndpointConnector"/>), and the reconnect supervisor. It owns the live client; connect and
/// disconnect are serialised under its one gate, because MQTTnet must not connect or disconnect while another
/// call runs. Other parts ask it for the live connection and wait on it while it reconnects.
/// </summary>
internal sealed class SessionConnection : IReconnectTarget, IDisposable
{
    private readonly string _sessionName;
    private readonly SangoSessionOptions _options;
    private readonly SessionLog _log;
    private readonly EndpointConnector _connector;
    private readonly IReadOnlyList<SangoEndpoint> _endpointOrder;
    private readonly ReconnectSupervisor _supervisor;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();

    // Read once: the source may be disposed while a disconnect handler on MQTTnet's thread still starts a supervisor.
    private readonly CancellationToken _lifetimeToken;
    private readonly Func<CancellationToken, Task> _onReconnected;
    private volatile ConnectedClient? _current;
    private volatile bool _closing;

    // Completed (and replaced) whenever the connection changes: installed, lost, or closing. Waiters re-check.
    private TaskCompletionSource _changed = NewSignal();

    /// <param name="onMessage">Attached to every client before it connects: a persistent session's messages may arrive right after the CONNACK.</param>
    /// <param name="onReconnected">Runs after the supervisor brought the connection back (restore subscriptions, drain the spool).</param>
    public SessionConnection(string sessionName, SangoSessionOptions options, SessionLog log,
        Func<IMqttClient, MqttApplicationMessageReceivedEventArgs, Task> onMessage, Func<CancellationToken, Task> onReconnected)
    {
        _sessionName = sessionName;
        _options = options;
        _log = log;
        _onReconnected = onReconnected;
        _connector = new EndpointConnector(options, log, client => AttachHandlers(client, onMessage));
        _endpointOrder = options.Strategy == SangoEndpointStrategy.RoundRobin
            ? EndpointRotation.NextOrder(options.Endpoints, log)
            : options.Endpoints;
        _supervisor = new ReconnectSupervisor(sessionName, _endpointOrder, this, log);
        _lifetimeToken = _lifetime.Token;
    }

    /// <summary>The live connection, or null; it may have dropped a moment ago (check <see cref="IsConnected"/>).</summary>
    public ConnectedClient? Current => _current;

    public bool IsConnected => _current?.Client.IsConnected == true && !_closing;

    public bool IsReconnecting => _supervisor.IsRunning && !_closing;

    public bool IsClosing => _closing;

    public int FailoverCount => _supervisor.FailoverCount;

    public DateTime? ConnectedAt { get; private set; }

    public SangoFailure? LastFailure { get; private set; }

    /// <summary>
    /// Tries the endpoints in order until one accepts. Returns the failures of the endpoints that refused, empty
    /// when one accepted; null when the session closed meanwhile.
    /// </summary>
    public async Task<IReadOnlyList<EndpointAttemptFailure>?> ConnectFirstAsync(CancellationToken cancellationToken)
    {
        var failures = new List<EndpointAttemptFailure>();
        foreach (var endpoint in _endpointOrder)
        {
            var (connected, failure) = await ConnectToAsync(endpoint, cancellationToken).ConfigureAwait(false);
            if (connected is not null)
            {
                return [];
            }

            if (failure is null)
            {
                return null;
            }

            failures.Add(failure);
            ReportAttemptFailure(endpoint, failure);
        }

        return failures;
    }

    /// <summary>Starts the supervisor unless one runs already: the session keeps trying in the background.</summary>
    public void StartReconnecting(ConnectedClient? lost)
    {
        if (!_supervisor.TryClaim() || _closing)
        {
            return;
        }

        Signal();
        _supervisor.Start(lost, _lifetimeToken);
    }

    /// <summary>The connected client; waits while the session reconnects; null once the session closes.</summary>
    public async Task<ConnectedClient?> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (_closing)
            {
                return null;
            }

            var connection = _current;
            if (connection is not null && connection.Client.IsConnected && !_supervisor.IsRunning)
            {
                return connection;
            }

            // A link that MQTTnet has just seen drop signals here once its disconnect handler has run; the bound
            // only guards against a drop that is never reported.
            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>An acknowledgement never came: the link is probably half-open, so drop it and reconnect.</summary>
    public void Suspect(ConnectedClient connection, string reason)
    {
        if (!ReferenceEquals(connection, _current) || _closing)
        {
            return;
        }

        _log.Warning($"Session '{_sessionName}': {reason} on {connection.Endpoint}; the connection is treated as broken and the session reconnects.");
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

    /// <summary>
    /// Waits (at most the session's timeout) until what was written so far has left for the socket: MQTTnet's
    /// writes only reach a coalescing buffer (<see cref="CoalescingWriteStream"/>), so without this a QoS 0 message
    /// reported "Sent" could still be in that buffer. A lost connection is reported elsewhere, so it is not an error here.
    /// </summary>
    public async Task FlushWritesAsync(CancellationToken cancellationToken)
    {
        if (_current?.Stream is not { } stream)
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

    /// <summary>
    /// Closes under the gate: marks the connection closing (so nothing reconnects), runs <paramref name="settle"/>
    /// while no connect can start, then proves with a ping that the broker read every QoS 0 message and disconnects.
    /// </summary>
    public async Task<T> CloseAsync<T>(Func<T> settle, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MarkClosing();
            var result = settle();
            var connection = _current;
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
                    _log.Debug($"Disconnect from {connection.Endpoint} ended with: {exception.Message}");
                }

                _log.Verbose($"Disconnected from {connection.Endpoint}.");
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>From now on nothing connects or reconnects, and waiters for a connection get none.</summary>
    public void MarkClosing()
    {
        _closing = true;
        _lifetime.Cancel();
        Signal();
    }

    public void Dispose()
    {
        MarkClosing();
        _current?.Client.Dispose();
        _lifetime.Dispose();
    }

    Task<(ConnectedClient? Connected, EndpointAttemptFailure? Failure)> IReconnectTarget.TryConnectAsync(SangoEndpoint endpoint, CancellationToken cancellationToken) =>
        ConnectToAsync(endpoint, cancellationToken);

    void IReconnectTarget.OnAttemptFailed(SangoEndpoint endpoint, EndpointAttemptFailure failure) => ReportAttemptFailure(endpoint, failure);

    Task IReconnectTarget.OnReconnectedAsync(CancellationToken cancellationToken) => _onReconnected(cancellationToken);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    /// <summary>One endpoint, under the gate; installs the connection. Neither result when closing.</summary>
    private async Task<(ConnectedClient? Connected, EndpointAttemptFailure? Failure)> ConnectToAsync(SangoEndpoint endpoint, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closing)
            {
                return (null, null);
            }

            var (connected, failure) = await _connector.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            if (connected is not null && _closing)
            {
                // The session was disposed while this connect ran (Dispose does not wait for the gate).
                connected.Client.Dispose();
                return (null, null);
            }

            if (connected is not null)
            {
                Install(connected);
            }

            return (connected, failure);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Install(ConnectedClient connected)
    {
        _current = connected;
        ConnectedAt = DateTime.Now;
        _supervisor.MarkConnected();
        Signal();
        var result = connected.Result;
        var limits = result.MaximumPacketSize is > 0 ? $", maximum packet size {result.MaximumPacketSize:N0} bytes" : ", no maximum packet size advertised";
        var receiveMaximum = result.ReceiveMaximum is > 0 ? $", receive maximum {result.ReceiveMaximum}" : string.Empty;
        var payloadLimit = Messages.PayloadLimit.For(_options, connected);
        _log.Verbose($"Connected to {connected.Endpoint} with MQTT {EndpointConnector.VersionText(connected.Version)} as '{_options.ClientId}'{limits}{receiveMaximum}; payload limit {payloadLimit.MaxPayloadBytes:N0} bytes.");
    }

    private void AttachHandlers(IMqttClient client, Func<IMqttClient, MqttApplicationMessageReceivedEventArgs, Task> onMessage)
    {
        client.ApplicationMessageReceivedAsync += args => onMessage(client, args);
        if (_options.LogPackets)
        {
            // Only when asked for (-Debug): it costs a log line per packet.
            client.InspectPacketAsync += args =>
            {
                _log.Debug($"{(args.Direction == MQTTnet.Diagnostics.PacketInspection.MqttPacketFlowDirection.Inbound ? "RX" : "TX")} {PacketDescription.Describe(args.Buffer)}");
                return Task.CompletedTask;
            };
        }

        client.DisconnectedAsync += args =>
        {
            var connection = _current;
            if (args.ClientWasConnected && connection is not null && ReferenceEquals(connection.Client, client))
            {
                OnLost(connection, DescribeLoss(args));
            }

            return Task.CompletedTask;
        };
    }

    /// <summary>What ended a connection, in words: MQTTnet reports a keep-alive timeout as a normal disconnection.</summary>
    private string DescribeLoss(MqttClientDisconnectedEventArgs args)
    {
        if (args.Exception is not null && FindTimeout(args.Exception))
        {
            return $"the broker stopped answering: no reply to a keep-alive ping or a packet within {_options.TimeoutSeconds} s (the broker, or the network to it, is down or stalled)";
        }

        var reason = args.ReasonString ?? args.Exception?.GetBaseException().Message ?? args.Reason.ToString();
        return $"{args.Reason} ({reason})";
    }

    private static bool FindTimeout(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is MQTTnet.Exceptions.MqttCommunicationTimedOutException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    private void OnLost(ConnectedClient connection, string reason)
    {
        if (_closing)
        {
            return;
        }

        NoteFailure(connection.Endpoint, reason);
        _log.Warning($"Session '{_sessionName}' lost its connection to {connection.Endpoint}: {reason}. Reconnecting.");
        StartReconnecting(connection);
        Signal();
    }

    /// <summary>
    /// Records a failed attempt. A refused certificate is a warning even when another endpoint then accepts: it
    /// can mean that someone intercepts the connection to this endpoint, which a failover would otherwise hide.
    /// </summary>
    private void ReportAttemptFailure(SangoEndpoint endpoint, EndpointAttemptFailure failure)
    {
        NoteFailure(endpoint, failure.Reason);
        if (failure.ErrorId == SangoErrorIds.CertificateValidationFailed)
        {
            _log.Warning($"Session '{_sessionName}': the certificate of {endpoint} was refused ({failure.Reason}) A refused certificate can mean that someone intercepts the connection; check it with Test-SangoCertificate {endpoint}.");
        }
        else
        {
            _log.Verbose($"{endpoint}: {failure.Reason}");
        }
    }

    private void NoteFailure(SangoEndpoint endpoint, string reason) => LastFailure = new SangoFailure(DateTime.Now, endpoint.ToString(), reason);
}
