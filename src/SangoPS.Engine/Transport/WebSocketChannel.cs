using System.Buffers;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Channel;
using MQTTnet.Implementations;
using SangoPS.Endpoints;
using SangoPS.Tls;

namespace SangoPS.Transport;

/// <summary>
/// The ws:// and wss:// transport: opens the WebSocket itself, then lets MQTTnet's own WebSocket channel speak
/// MQTT over it.
/// </summary>
/// <remarks>
/// MQTTnet's channel builds its ClientWebSocket internally and never shows the TLS session. Opening it here,
/// through an HTTP handler of our own, lets the certificate callback see the <see cref="SslStream"/>, so the
/// negotiated protocol and cipher suite can be reported as they are for mqtts. Certificate decisions stay with
/// <see cref="ServerCertificateValidator"/>.
/// </remarks>
internal sealed class WebSocketChannel : IMqttChannel
{
    private readonly SangoEndpoint _endpoint;
    private readonly string? _tlsServerName;
    private readonly ServerCertificateValidator? _validator;
    private readonly X509Certificate2? _clientCertificate;
    private HttpMessageInvoker? _invoker;
    private MqttWebSocketChannel? _inner;

    public WebSocketChannel(SangoEndpoint endpoint, string? tlsServerName, ServerCertificateValidator? validator, X509Certificate2? clientCertificate)
    {
        _endpoint = endpoint;
        _tlsServerName = tlsServerName;
        _validator = validator;
        _clientCertificate = clientCertificate;
        RemoteEndPoint = new DnsEndPoint(endpoint.Host, endpoint.Port);
    }

    /// <summary>The TLS parameters once connected over wss; <see langword="null"/> otherwise.</summary>
    public NegotiatedTls? Negotiated { get; private set; }

    public X509Certificate2 ClientCertificate => _clientCertificate!;

    public EndPoint RemoteEndPoint { get; }

    public EndPoint LocalEndPoint => null!;

    public bool IsSecureConnection => _endpoint.UseTls;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        SslStream? tls = null;
        var handler = new SocketsHttpHandler();
        if (_endpoint.UseTls)
        {
            handler.SslOptions = TlsClientOptions.Create(targetHost: null, _clientCertificate, _validator, stream => tls = stream);
        }

        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("mqtt");
        if (_endpoint.UseTls && _tlsServerName is not null && _tlsServerName != _endpoint.Host)
        {
            // The HTTP handler sends the Host header's name as the TLS server name (SNI).
            socket.Options.SetRequestHeader("Host", $"{_tlsServerName}:{_endpoint.Port}");
        }

        try
        {
            // A ws:// or wss:// endpoint is its own URI.
            await socket.ConnectAsync(_endpoint.Uri, _invoker, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (tls is { IsAuthenticated: true })
        {
            Negotiated = NegotiatedTls.Of(tls);
        }

        _inner = new MqttWebSocketChannel(socket, RemoteEndPoint, _endpoint.UseTls, _clientCertificate);
    }

    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        if (_inner is not null)
        {
            await _inner.DisconnectAsync(cancellationToken).ConfigureAwait(false);
        }

        Dispose();
    }

    public Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Connected().ReadAsync(buffer, offset, count, cancellationToken);

    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken) =>
        Connected().WriteAsync(buffer, isEndOfPacket, cancellationToken);

    public void Dispose()
    {
        _inner?.Dispose();
        _invoker?.Dispose();
        _invoker = null;
    }

    private MqttWebSocketChannel Connected() =>
        _inner ?? throw new InvalidOperationException("The WebSocket is not connected.");
}
