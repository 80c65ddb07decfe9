using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Endpoints;
using SangoPS.Errors;

namespace SangoPS.Tls;

/// <summary>
/// Fetches a broker's certificate with a bare TLS handshake and inspects it. No MQTT and no WebSocket upgrade is
/// sent: for wss the TLS handshake on the same port is all that decides whether the certificate is accepted.
/// </summary>
public static class TlsHandshakeProbe
{
    /// <summary>
    /// Connects to <paramref name="endpoint"/>, runs the TLS handshake accepting any certificate, and reports on the
    /// one the server sent: checked against <paramref name="tlsServerName"/> (sent as SNI too) or the endpoint's host.
    /// </summary>
    /// <exception cref="SangoException">
    /// The endpoint has no TLS, or no certificate could be obtained (connection refused, not a TLS port, timeout).
    /// </exception>
    public static async Task<CertificateReport> ProbeAsync(
        SangoEndpoint endpoint,
        string? tlsServerName,
        CertificateTrustOptions trust,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(trust);

        if (!endpoint.UseTls)
        {
            throw new SangoException(SangoErrorIds.InvalidEndpoint, SangoErrorKind.InvalidArgument,
                $"The endpoint {endpoint} has no TLS: use mqtts:// or wss://, whose certificate can be checked.",
                endpoint.ToString(), "Give the broker's TLS endpoint, for example mqtts://host:8883 or wss://host:443/mqtt.");
        }

        var serverName = string.IsNullOrWhiteSpace(tlsServerName) ? endpoint.Host : tlsServerName.Trim();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);

        X509Certificate2? leaf = null;
        var presented = new X509Certificate2Collection();
        try
        {
            using var socket = await ConnectAsync(endpoint, timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,

                // Revocation needs the network and is not what this command reports on.
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,

                // Every certificate is accepted on purpose: the handshake only fetches it, nothing is sent over the
                // connection, and CertificateInspector judges it afterwards. The callback runs on a network thread
                // and only copies (SslStream disposes its own instances when the handshake ends).
#pragma warning disable CA5359
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    if (certificate is not null && leaf is null)
                    {
                        leaf = new X509Certificate2(certificate.GetRawCertData());

                        // SslStream puts what the server sent into the chain's extra store, in the order it was sent.
                        foreach (var sent in chain?.ChainPolicy.ExtraStore ?? [])
                        {
                            presented.Add(new X509Certificate2(sent.RawData));
                        }
                    }

                    return true;
                },
#pragma warning restore CA5359
            };

            string? protocol = null;
            string? cipherSuite = null;
            try
            {
                await tls.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
                protocol = tls.SslProtocol.ToString();
                cipherSuite = tls.NegotiatedCipherSuite.ToString();
            }
            catch (Exception exception) when (leaf is not null && !cancellationToken.IsCancellationRequested &&
                                              exception is AuthenticationException or IOException or OperationCanceledException)
            {
                // The server sent its certificate and then gave up or stalled (for example: it wants a client
                // certificate under TLS 1.2); the certificate is what was asked about, so it is still reported.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw Timeout(endpoint, timeout, "the TLS handshake did not finish");
            }
            catch (Exception exception) when (exception is AuthenticationException or IOException)
            {
                throw HandshakeFailed(endpoint, exception);
            }

            if (leaf is null)
            {
                throw new SangoException(SangoErrorIds.ConnectFailed, SangoErrorKind.ConnectionError,
                    $"The TLS server at {endpoint} sent no certificate.", endpoint.ToString(), "Check that the port is the broker's TLS port.");
            }

            var report = CertificateInspector.Inspect(leaf, serverName, trust, presented);
            report.Endpoint = endpoint.ToString();
            report.TlsProtocol = protocol;
            report.CipherSuite = cipherSuite;
            report.Chain = ChainSubjects(report.Chain, leaf, presented);
            return report;
        }
        finally
        {
            leaf?.Dispose();
            foreach (var certificate in presented)
            {
                certificate.Dispose();
            }
        }
    }

    private static async Task<Socket> ConnectAsync(SangoEndpoint endpoint, TimeSpan timeout, CancellationToken deadline, CancellationToken cancellationToken)
    {
        // A dual-mode socket to a DnsEndPoint tries every address the name resolves to, IPv6 and IPv4.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            EndPoint target = IPAddress.TryParse(endpoint.Host, out var address)
                ? new IPEndPoint(address, endpoint.Port)
                : new DnsEndPoint(endpoint.Host, endpoint.Port);
            await socket.ConnectAsync(target, deadline).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw Timeout(endpoint, timeout, "no TCP connection could be made");
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw new SangoException(SangoErrorIds.ConnectFailed, SangoErrorKind.ConnectionError,
                $"Could not connect to {endpoint}: {exception.Message} (socket error {exception.SocketErrorCode}).",
                endpoint.ToString(), "Check the endpoint's host name and port and that the broker is running.", exception);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static SangoException Timeout(SangoEndpoint endpoint, TimeSpan timeout, string what) =>
        new(SangoErrorIds.ConnectTimeout, SangoErrorKind.OperationTimeout,
            $"Could not get the certificate of {endpoint}: {what} within {timeout.TotalSeconds:0.###} s.",
            endpoint.ToString(), "Check that the broker runs and that a firewall lets the port through, or raise -TimeoutSeconds.");

    private static SangoException HandshakeFailed(SangoEndpoint endpoint, Exception exception)
    {
        var reason = exception.InnerException?.Message is { Length: > 0 } inner && inner != exception.Message
            ? $"{exception.Message} ({inner})"
            : exception.Message;
        return new SangoException(SangoErrorIds.ConnectFailed, SangoErrorKind.ConnectionError,
            $"The TLS handshake with {endpoint} failed before the server sent a certificate: {reason} A plain MQTT (mqtt://) or HTTP port closes the connection like this.",
            endpoint.ToString(), "Check that the port is the broker's TLS port (8883 for mqtts, often 443 or 8884 for wss) and that the server speaks TLS 1.2 or 1.3.",
            exception);
    }

    /// <summary>
    /// The built chain when it got further than what the server sent (trusted roots are never sent); otherwise the
    /// leaf and the server's certificates in the order it sent them, so an untrusted chain still shows its shape.
    /// </summary>
    private static string[] ChainSubjects(string[] built, X509Certificate2 leaf, X509Certificate2Collection presented)
    {
        var sent = new List<string> { leaf.Subject };
        foreach (var certificate in presented)
        {
            if (!certificate.RawData.AsSpan().SequenceEqual(leaf.RawData))
            {
                sent.Add(certificate.Subject);
            }
        }

        return built.Length >= sent.Count ? built : [.. sent];
    }
}
