using System.Net.Sockets;
using System.Security.Authentication;
using MQTTnet;
using MQTTnet.Exceptions;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Sessions;
using SangoPS.Tls;

namespace SangoPS.Transport;

/// <summary>
/// Connects to one endpoint, falls back from MQTT 5 to 3.1.1 when allowed and the broker refuses 5, and turns
/// every way of failing into an <see cref="EndpointAttemptFailure"/> a user can act on.
/// </summary>
internal sealed class EndpointConnector
{
    private readonly SangoSessionOptions _options;
    private readonly SessionLog _log;
    private readonly Action<IMqttClient> _attachHandlers;

    public EndpointConnector(SangoSessionOptions options, SessionLog log, Action<IMqttClient> attachHandlers)
    {
        _options = options;
        _log = log;
        _attachHandlers = attachHandlers;
    }

    public async Task<(ConnectedClient? Connected, EndpointAttemptFailure? Failure)> ConnectAsync(SangoEndpoint endpoint, CancellationToken cancellationToken)
    {
        var version = _options.ProtocolVersion;
        while (true)
        {
            _log.Verbose($"Connecting to {endpoint} with MQTT {VersionText(version)} (timeout {_options.TimeoutSeconds} s).");
            var (connected, failure, refusedVersion) = await TryOnceAsync(endpoint, version, cancellationToken).ConfigureAwait(false);
            if (refusedVersion && version == SangoProtocolVersion.V500 && _options.AllowProtocolFallback)
            {
                _log.Verbose($"{endpoint} refused MQTT 5.0; retrying with MQTT 3.1.1.");
                version = SangoProtocolVersion.V311;
                continue;
            }

            return (connected, failure);
        }
    }

    public static string VersionText(SangoProtocolVersion version) => version == SangoProtocolVersion.V500 ? "5.0" : "3.1.1";

    private async Task<(ConnectedClient?, EndpointAttemptFailure?, bool RefusedVersion)> TryOnceAsync(
        SangoEndpoint endpoint, SangoProtocolVersion version, CancellationToken cancellationToken)
    {
        var validator = endpoint.UseTls
            ? new ServerCertificateValidator(_options, _options.TlsServerName ?? endpoint.Host, _log)
            : null;
        var tlsServerName = endpoint.UseTls ? _options.TlsServerName ?? endpoint.Host : null;
        var tcpStreams = new TcpStreamProvider(tlsServerName, validator, _options.ClientCertificate);
        var channels = new ChannelAdapterFactory(() => new WebSocketChannel(endpoint, tlsServerName, validator, _options.ClientCertificate));
        var client = new MqttClientFactory().CreateMqttClient(channels);
        _attachHandlers(client);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            var mqttOptions = MqttClientOptionsFactory.Create(_options, endpoint, version, tcpStreams);
            var result = await client.ConnectAsync(mqttOptions, timeout.Token).ConfigureAwait(false);
            if (result.ResultCode == MqttClientConnectResultCode.Success)
            {
                var tls = tcpStreams.Negotiated ?? channels.WebSocket?.Negotiated;
                if (tls is not null)
                {
                    _log.Verbose($"TLS with {endpoint}: {tls.Protocol}, cipher suite {tls.CipherSuite}.");
                }

                return (new ConnectedClient(client, endpoint, version, result) { Tls = tls, Stream = tcpStreams.Stream }, null, false);
            }

            client.Dispose();
            var refusedVersion = IsVersionRefusal(result, version);
            return (null, Refusal(endpoint, result, version, refusedVersion), refusedVersion);
        }
        catch (Exception exception) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // MQTTnet may wrap the cancellation (MqttConnectingFailedException): our own deadline decides.
            client.Dispose();
            return (null, new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectTimeout, SangoErrorKind.OperationTimeout,
                $"no MQTT connection within {_options.TimeoutSeconds} s (the broker did not answer: {Innermost(exception).Message} Check the host, port and firewall)."), false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            client.Dispose();
            if (validator?.LastReport is { IsValid: false } report && !_options.SkipCertificateCheck && HasInner<AuthenticationException>(exception))
            {
                return (null, new EndpointAttemptFailure(endpoint, SangoErrorIds.CertificateValidationFailed, SangoErrorKind.SecurityError,
                    "the server's certificate was refused: " + string.Join(" ", report.Problems), report), false);
            }

            if (endpoint.UseTls && _options.ClientCertificate is null && (tcpStreams.Negotiated ?? channels.WebSocket?.Negotiated) is not null &&
                (FindInner<SocketException>(exception) is not null || FindInner<IOException>(exception) is not null))
            {
                // TLS 1.3 completes the handshake before the server has checked the client's certificate; a broker
                // that requires one then closes the connection before the CONNACK.
                return (null, new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectFailed, SangoErrorKind.ConnectionError,
                    $"the broker closed the connection right after the TLS handshake, before answering the MQTT CONNECT ({Innermost(exception).Message}): it most likely requires a client certificate. Give one with -ClientCertificatePath (and -ClientKeyPath), -ClientCertificate or -ClientCertificateThumbprint."), false);
            }

            return (null, Classify(endpoint, exception), IsVersionRefusal(exception, version));
        }
    }

    /// <summary>
    /// Whether the broker refused the protocol version. A 3.1.1-only broker (mosquitto 1.x, aedes) answers an MQTT 5
    /// CONNECT the standard way, with a 3.1.1 CONNACK whose return code 1 means "unacceptable protocol version";
    /// MQTTnet reads that as an MQTT 5 reason code 1, which has no name of its own.
    /// </summary>
    private static bool IsVersionRefusal(MqttClientConnectResult result, SangoProtocolVersion version) =>
        result.ResultCode == MqttClientConnectResultCode.UnsupportedProtocolVersion ||
        (version == SangoProtocolVersion.V500 && (int)result.ResultCode == Mqtt311UnacceptableProtocolVersion);

    private const int Mqtt311UnacceptableProtocolVersion = 1;

    private static EndpointAttemptFailure Refusal(SangoEndpoint endpoint, MqttClientConnectResult result, SangoProtocolVersion version, bool refusedVersion)
    {
        var reason = string.IsNullOrEmpty(result.ReasonString) ? string.Empty : $" ({result.ReasonString})";
        if (refusedVersion && version == SangoProtocolVersion.V500)
        {
            return new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectRefused, SangoErrorKind.ConnectionError,
                $"the broker does not accept MQTT 5.0 (it answered {(result.ResultCode == MqttClientConnectResultCode.UnsupportedProtocolVersion ? "UnsupportedProtocolVersion (132)" : "with the MQTT 3.1.1 return code 1, unacceptable protocol version")}){reason}. Connect without -ProtocolVersion 5.0, and SangoPS falls back to MQTT 3.1.1, or give -ProtocolVersion 3.1.1.");
        }

        return result.ResultCode switch
        {
            MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized =>
                new EndpointAttemptFailure(endpoint, SangoErrorIds.AuthenticationFailed, SangoErrorKind.SecurityError,
                    $"the broker refused the credentials: {RefusalInWords(result.ResultCode)}{reason}."),
            _ => new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectRefused, SangoErrorKind.ConnectionError,
                $"the broker refused the connection: {RefusalInWords(result.ResultCode)}{reason}."),
        };
    }

    /// <summary>The refusals MQTT 3.1.1 can give (return codes 1 to 5, which MQTTnet reports as these MQTT 5 codes), in plain words.</summary>
    private static string RefusalInWords(MqttClientConnectResultCode code) => code switch
    {
        MqttClientConnectResultCode.UnsupportedProtocolVersion => $"{code} ({(int)code}): it does not accept this MQTT version",
        MqttClientConnectResultCode.ClientIdentifierNotValid => $"{code} ({(int)code}): it does not accept this client id (give another with -ClientId)",
        MqttClientConnectResultCode.ServerUnavailable => $"{code} ({(int)code}): the MQTT service is unavailable at the moment",
        MqttClientConnectResultCode.BadUserNameOrPassword => $"{code} ({(int)code}): the user name or password is wrong",
        MqttClientConnectResultCode.NotAuthorized => $"{code} ({(int)code}): this user may not connect",
        _ => $"{code} ({(int)code})",
    };

    private static EndpointAttemptFailure Classify(SangoEndpoint endpoint, Exception exception)
    {
        if (FindInner<SocketException>(exception) is { } socket)
        {
            return new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectFailed, SangoErrorKind.ConnectionError,
                $"{socket.Message} (socket error {socket.SocketErrorCode}).");
        }

        if (FindInner<AuthenticationException>(exception) is { } tls)
        {
            return new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectFailed, SangoErrorKind.SecurityError,
                $"the TLS handshake failed: {Innermost(tls).Message}");
        }

        if (FindInner<System.Net.WebSockets.WebSocketException>(exception) is { } ws)
        {
            return new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectFailed, SangoErrorKind.ConnectionError,
                $"the WebSocket connection failed: {Innermost(ws).Message}");
        }

        return new EndpointAttemptFailure(endpoint, SangoErrorIds.ConnectFailed, SangoErrorKind.ConnectionError,
            Innermost(exception).Message);
    }

    /// <summary>
    /// A 3.1.1-only broker answers a v5 CONNECT with a 3.1.1 CONNACK (return code 1) or just closes the
    /// connection; either way MQTTnet reports a protocol violation or a closed connection while authenticating.
    /// </summary>
    private static bool IsVersionRefusal(Exception exception, SangoProtocolVersion version) =>
        version == SangoProtocolVersion.V500 &&
        FindInner<SocketException>(exception) is null &&
        FindInner<AuthenticationException>(exception) is null &&
        (FindInner<MqttProtocolViolationException>(exception) is not null ||
         Innermost(exception).Message.Contains("Connection closed", StringComparison.OrdinalIgnoreCase));

    private static bool HasInner<T>(Exception exception) where T : Exception => FindInner<T>(exception) is not null;

    private static T? FindInner<T>(Exception? exception) where T : Exception
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }

            if (current is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
            {
                return FindInner<T>(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    private static Exception Innermost(Exception exception)
    {
        var current = exception;
        while (current.InnerException is not null)
        {
            current = current.InnerException;
        }

        return current;
    }
}
