using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>
/// The probe against a real TLS server on loopback (an in-test SslStream server with an in-memory CA and an ECDSA
/// P-256 wildcard certificate), and against ports that do not speak TLS.
/// </summary>
public sealed class TlsHandshakeProbeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _intermediate;
    private readonly X509Certificate2 _leaf;
    private readonly CertificateTrustOptions _trustRoot;

    public TlsHandshakeProbeTests()
    {
        var now = DateTimeOffset.UtcNow;
        _root = CreateCa("CN=Sango Probe Test Root CA", null, now);
        _intermediate = CreateCa("CN=Sango Probe Test Intermediate CA", _root, now);
        _leaf = CreateServerCertificate(_intermediate, now);
        _trustRoot = new CertificateTrustOptions([X509CertificateLoader.LoadCertificate(_root.RawData)], "/etc/sango/ca.pem");
    }

    public void Dispose()
    {
        _leaf.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task A_trusted_certificate_is_reported_valid_with_the_handshake_details()
    {
        await using var server = TestTlsServer.Start(_leaf, _intermediate);

        var report = await TlsHandshakeProbe.ProbeAsync(server.Endpoint("mqtts"), null, _trustRoot, Timeout, CancellationToken.None);

        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
        Assert.Equal("IP:127.0.0.1", report.MatchedName);
        Assert.Equal("127.0.0.1", report.HostName);
        Assert.Equal($"mqtts://127.0.0.1:{server.Port}", report.Endpoint);
        Assert.False(string.IsNullOrEmpty(report.TlsProtocol));
        Assert.StartsWith("Tls1", report.TlsProtocol, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(report.CipherSuite));
        Assert.StartsWith("TLS_", report.CipherSuite, StringComparison.Ordinal);
        Assert.Equal("ECDSA P-256", report.KeyAlgorithm);
        Assert.Equal(["CN=broker.sango.test", "CN=Sango Probe Test Intermediate CA", "CN=Sango Probe Test Root CA"], report.Chain);
        Assert.Equal(_leaf.Thumbprint, report.Thumbprint);
    }

    [Fact]
    public async Task The_TLS_server_name_is_matched_against_the_wildcard_and_sent_as_SNI()
    {
        await using var server = TestTlsServer.Start(_leaf, _intermediate);

        var report = await TlsHandshakeProbe.ProbeAsync(server.Endpoint("wss", "/mqtt"), "a.sango.test", _trustRoot, Timeout, CancellationToken.None);

        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
        Assert.Equal("*.sango.test", report.MatchedName);
        Assert.Equal("a.sango.test", report.HostName);
        Assert.Equal($"wss://127.0.0.1:{server.Port}/mqtt", report.Endpoint);
        Assert.Equal("a.sango.test", await server.ServerNameSeen.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_name_the_certificate_is_not_for_is_reported_not_thrown()
    {
        await using var server = TestTlsServer.Start(_leaf, _intermediate);

        var report = await TlsHandshakeProbe.ProbeAsync(server.Endpoint("mqtts"), "a.b.sango.test", _trustRoot, Timeout, CancellationToken.None);

        Assert.False(report.IsValid);
        Assert.False(report.IsHostNameMatch);
        Assert.True(report.IsTrusted);
        Assert.NotEmpty(report.Problems);
    }

    [Fact]
    public async Task Without_the_CA_the_certificate_is_untrusted_and_the_problem_points_to_CaFile()
    {
        await using var server = TestTlsServer.Start(_leaf, _intermediate);

        var report = await TlsHandshakeProbe.ProbeAsync(server.Endpoint("mqtts"), "localhost", CertificateTrustOptions.SystemStore, Timeout, CancellationToken.None);

        Assert.False(report.IsTrusted);
        Assert.False(report.IsValid);
        Assert.True(report.IsHostNameMatch);
        Assert.Equal("localhost", report.MatchedName);
        Assert.Contains(report.Problems, p => p.Contains("-CaFile", StringComparison.Ordinal));

        // The chain as the server sent it, although it leads nowhere trusted.
        Assert.Equal("CN=broker.sango.test", report.Chain[0]);
        Assert.Contains("CN=Sango Probe Test Intermediate CA", report.Chain);
    }

    [Fact]
    public async Task A_port_that_closes_without_TLS_is_ConnectFailed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var closer = Task.Run(async () =>
        {
            // What a plain MQTT listener does with a TLS ClientHello: reads a little, then hangs up.
            using var client = await listener.AcceptTcpClientAsync();
            var buffer = new byte[16];
            _ = await client.GetStream().ReadAsync(buffer);
        });

        var exception = await Assert.ThrowsAsync<SangoException>(() =>
            TlsHandshakeProbe.ProbeAsync(SangoEndpoint.Parse($"mqtts://127.0.0.1:{port}"), null, _trustRoot, Timeout, CancellationToken.None));
        await closer.WaitAsync(Timeout);

        Assert.Equal(SangoErrorIds.ConnectFailed, exception.ErrorId);
        Assert.Equal(SangoErrorKind.ConnectionError, exception.Kind);
        Assert.Contains($"mqtts://127.0.0.1:{port}", exception.Message, StringComparison.Ordinal);
        Assert.Contains("TLS handshake", exception.Message, StringComparison.Ordinal);
        Assert.Equal($"mqtts://127.0.0.1:{port}", exception.Target);
    }

    [Fact]
    public async Task Nothing_listening_is_ConnectFailed_with_the_socket_error()
    {
        var port = FreePort();

        var exception = await Assert.ThrowsAsync<SangoException>(() =>
            TlsHandshakeProbe.ProbeAsync(SangoEndpoint.Parse($"127.0.0.1:{port}"), null, _trustRoot, Timeout, CancellationToken.None));

        Assert.Equal(SangoErrorIds.ConnectFailed, exception.ErrorId);
        Assert.Equal(SangoErrorKind.ConnectionError, exception.Kind);
        Assert.Contains($"mqtts://127.0.0.1:{port}", exception.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(SocketError.ConnectionRefused), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_ConnectTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var exception = await Assert.ThrowsAsync<SangoException>(() =>
            TlsHandshakeProbe.ProbeAsync(SangoEndpoint.Parse($"mqtts://127.0.0.1:{port}"), null, _trustRoot, TimeSpan.FromMilliseconds(300), CancellationToken.None));

        Assert.Equal(SangoErrorIds.ConnectTimeout, exception.ErrorId);
        Assert.Equal(SangoErrorKind.OperationTimeout, exception.Kind);
        Assert.Contains("0.3 s", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_not_reported_as_a_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            TlsHandshakeProbe.ProbeAsync(SangoEndpoint.Parse($"mqtts://127.0.0.1:{port}"), null, _trustRoot, Timeout, cancel.Token));
    }

    [Theory]
    [InlineData("mqtt://127.0.0.1:1883")]
    [InlineData("ws://127.0.0.1:8080/mqtt")]
    public async Task An_endpoint_without_TLS_is_an_argument_error(string text)
    {
        var exception = await Assert.ThrowsAsync<SangoException>(() =>
            TlsHandshakeProbe.ProbeAsync(SangoEndpoint.Parse(text), null, _trustRoot, Timeout, CancellationToken.None));

        Assert.Equal(SangoErrorKind.InvalidArgument, exception.Kind);
        Assert.Contains("has no TLS: use mqtts:// or wss://", exception.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static X509Certificate2 CreateCa(string subject, X509Certificate2? issuer, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(now.AddDays(-10), now.AddYears(5));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = request.Create(issuer, now.AddDays(-9), now.AddYears(4), RandomNumberGenerator.GetBytes(8));
        return certificate.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateServerCertificate(X509Certificate2 issuer, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=broker.sango.test", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("*.sango.test");
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = request.Create(issuer, now.AddDays(-1), now.AddDays(90), RandomNumberGenerator.GetBytes(8));
        using var withKey = certificate.CopyWithPrivateKey(key);

        // SChannel cannot use an in-memory key; a PKCS#12 round trip gives it one it can (harmless elsewhere).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Accepts TLS connections on 127.0.0.1 and completes the handshake; remembers the SNI it was sent.</summary>
    private sealed class TestTlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly TaskCompletionSource<string> _serverName = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private TestTlsServer(X509Certificate2 certificate, X509Certificate2 intermediate)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            var context = SslStreamCertificateContext.Create(certificate, [X509CertificateLoader.LoadCertificate(intermediate.RawData)], offline: true);
            _loop = Task.Run(() => AcceptAsync(context));
        }

        public int Port { get; }

        public Task<string> ServerNameSeen => _serverName.Task;

        public static TestTlsServer Start(X509Certificate2 certificate, X509Certificate2 intermediate) => new(certificate, intermediate);

        public SangoEndpoint Endpoint(string scheme, string path = "") => SangoEndpoint.Parse($"{scheme}://127.0.0.1:{Port}{path}");

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop.WaitAsync(Timeout);
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync(SslStreamCertificateContext context)
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            await using var tls = new SslStream(client.GetStream());
                            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context }, _stop.Token);
                            _serverName.TrySetResult(tls.TargetHostName);

                            // Like a broker: wait for the client, which just closes the connection.
                            _ = await tls.ReadAsync(new byte[1], _stop.Token);
                        }
                        catch (Exception exception) when (exception is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
                        {
                        }
                    }
                });
            }
        }
    }
}
