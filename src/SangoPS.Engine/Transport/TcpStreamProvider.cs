using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Channel;
using SangoPS.Tls;

namespace SangoPS.Transport;

/// <summary>
/// Opens the TCP connection (and the TLS session for mqtts) that MQTTnet then speaks MQTT over.
/// </summary>
/// <remarks>
/// SangoPS does the TLS handshake itself instead of letting MQTTnet do it for two reasons: the negotiated protocol
/// and cipher suite are only visible on the <see cref="SslStream"/>, which MQTTnet keeps to itself, and the stream
/// handed to MQTTnet is a <see cref="CoalescingWriteStream"/> that batches packet writes. Certificate decisions
/// stay with <see cref="ServerCertificateValidator"/>.
/// </remarks>
internal sealed class TcpStreamProvider : IMqttClientStreamProvider
{
    private readonly string? _tlsServerName;
    private readonly ServerCertificateValidator? _validator;
    private readonly X509Certificate2? _clientCertificate;

    /// <param name="tlsServerName">The name sent as SNI and checked; <see langword="null"/> for plain MQTT.</param>
    public TcpStreamProvider(string? tlsServerName, ServerCertificateValidator? validator, X509Certificate2? clientCertificate)
    {
        _tlsServerName = tlsServerName;
        _validator = validator;
        _clientCertificate = clientCertificate;
    }

    /// <summary>The TLS parameters of the last connection made; <see langword="null"/> for plain MQTT.</summary>
    public NegotiatedTls? Negotiated { get; private set; }

    /// <summary>The stream of the last connection made, for its write statistics.</summary>
    public CoalescingWriteStream? Stream { get; private set; }

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        // A dual-mode socket to a DnsEndPoint tries every address the name resolves to, IPv6 and IPv4.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(brokerEndPoint, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (_tlsServerName is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(TlsClientOptions.Create(_tlsServerName, _clientCertificate, _validator), cancellationToken).ConfigureAwait(false);
                Negotiated = NegotiatedTls.Of(tls);
            }

            Stream = new CoalescingWriteStream(stream, socket.LocalEndPoint, socket.RemoteEndPoint);
            return Stream;
        }
        catch
        {
            if (stream is null)
            {
                socket.Dispose();
            }
            else
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }
}
