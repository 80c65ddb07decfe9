using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.LocalBroker;
using SangoPS.Sessions;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.LocalBroker;

/// <summary>
/// Start-SangoLocalBroker -Tls end to end: a real TLS handshake against the in-process broker, with the
/// throwaway CA from its CaFile trusted (connects, also by a wildcard name) or not (refused with the report).
/// </summary>
public sealed class LocalBrokerTlsTests : IAsyncLifetime
{
    private SangoLocalBroker? _broker;

    private SangoLocalBroker Broker => _broker ?? throw new InvalidOperationException("The broker was not started.");

    public async Task InitializeAsync() => _broker = await SangoLocalBroker.StartAsync(0, tls: true, CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.StopAsync();
            _broker.Dispose();
        }
    }

    [Fact]
    public void The_broker_describes_its_TLS_endpoint_and_writes_the_CA_file()
    {
        Assert.NotNull(Broker.TlsPort);
        Assert.NotEqual(Broker.Port, Broker.TlsPort);
        Assert.Equal($"mqtts://localhost:{Broker.TlsPort}", Broker.TlsEndpoint);
        Assert.Equal("CN=*.sango.test", Broker.CertificateSubject);
        Assert.NotNull(Broker.CaFile);
        Assert.True(File.Exists(Broker.CaFile));

        var ca = Assert.Single(CaBundleLoader.Load(Broker.CaFile));
        Assert.Equal("CN=SangoPS Demo CA", ca.Subject);
        Assert.False(ca.HasPrivateKey);
        Assert.Contains("SangoPS local broker at mqtt://127.0.0.1:", Broker.ToString(), StringComparison.Ordinal);
        Assert.Contains(Broker.TlsEndpoint!, Broker.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_trusting_the_CA_file_connects_over_TLS()
    {
        using var session = new SangoSession(Options(CaBundleLoader.Load(Broker.CaFile!)));
        await session.ConnectAsync(CancellationToken.None);

        Assert.True(session.IsConnected);
        Assert.Contains(DrainLog(session), l => l.Contains("Server certificate: CN=*.sango.test, issued by CN=SangoPS Demo CA", StringComparison.Ordinal)
            && l.Contains("'localhost' matched 'localhost'", StringComparison.Ordinal));
        await session.DisconnectAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_TLS_server_name_under_sango_test_matches_the_wildcard()
    {
        using var session = new SangoSession(Options(CaBundleLoader.Load(Broker.CaFile!), "demo.sango.test"));
        await session.ConnectAsync(CancellationToken.None);

        Assert.True(session.IsConnected);
        Assert.Contains(DrainLog(session), l => l.Contains("'demo.sango.test' matched '*.sango.test'", StringComparison.Ordinal));
        await session.DisconnectAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_presented_certificate_is_an_ECDSA_P256_wildcard_that_chains_to_the_CA()
    {
        using var leaf = await FetchServerCertificateAsync(Broker.TlsPort!.Value);

        var report = CertificateInspector.Inspect(leaf, "demo.sango.test", CertificateTrustOptions.FromCaFile(Broker.CaFile!));

        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
        Assert.Equal("ECDSA P-256", report.KeyAlgorithm);
        Assert.Equal("sha256ECDSA", report.SignatureAlgorithm);
        Assert.Equal("CN=*.sango.test", report.Subject);
        Assert.Equal("CN=SangoPS Demo CA", report.Issuer);
        Assert.Equal(["*.sango.test", "localhost"], report.DnsNames);
        Assert.Equal(["127.0.0.1"], report.IPAddresses);
        Assert.Equal("*.sango.test", report.MatchedName);
        Assert.Equal(["CN=*.sango.test", "CN=SangoPS Demo CA"], report.Chain);
        Assert.InRange(report.NotAfter - report.NotBefore, TimeSpan.FromDays(1), TimeSpan.FromDays(1) + TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Without_the_CA_the_connection_is_refused_and_the_report_says_why()
    {
        using var session = new SangoSession(Options(caCertificates: null));

        var error = await Assert.ThrowsAsync<SangoException>(() => session.ConnectAsync(CancellationToken.None));

        Assert.Equal(SangoErrorIds.CertificateValidationFailed, error.ErrorId);
        Assert.Equal(SangoErrorKind.SecurityError, error.Kind);
        var report = Assert.IsType<CertificateReport>(error.Target);
        Assert.False(report.IsTrusted);
        Assert.False(report.IsValid);
        Assert.True(report.IsHostNameMatch);
        Assert.Equal("ECDSA P-256", report.KeyAlgorithm);
        Assert.Contains("*.sango.test", report.DnsNames);
        Assert.NotEmpty(report.Problems);
        Assert.Contains("CN=SangoPS Demo CA", error.Message, StringComparison.Ordinal);
        Assert.False(session.IsConnected);
    }

    [Fact]
    public async Task Stopping_deletes_the_CA_file_and_disposing_after_stop_is_harmless()
    {
        var broker = await SangoLocalBroker.StartAsync(0, tls: true, CancellationToken.None);
        var caFile = broker.CaFile!;
        Assert.True(File.Exists(caFile));

        await broker.StopAsync();
        Assert.False(File.Exists(caFile));
        Assert.False(broker.IsRunning);
        broker.Dispose();
    }

    [Fact]
    public async Task Without_TLS_there_is_no_TLS_endpoint_and_no_CA_file()
    {
        using var broker = await SangoLocalBroker.StartAsync(0, CancellationToken.None);

        Assert.Null(broker.TlsPort);
        Assert.Null(broker.TlsEndpoint);
        Assert.Null(broker.CaFile);
        Assert.Null(broker.CertificateSubject);
        Assert.Equal($"SangoPS local broker at mqtt://127.0.0.1:{broker.Port}", broker.ToString());
        await broker.StopAsync();
    }

    private SangoSessionOptions Options(X509Certificate2Collection? caCertificates, string? tlsServerName = null) =>
        new([SangoEndpoint.Parse(Broker.TlsEndpoint!)])
        {
            CaCertificates = caCertificates,
            CaFilePath = caCertificates is null ? null : Broker.CaFile,
            TlsServerName = tlsServerName,
            TimeoutSeconds = 5,
        };

    private static List<string> DrainLog(SangoSession session)
    {
        var lines = new List<string>();
        lines.AddRange(session.Log.Drain().Select(entry => entry.Text));

        return lines;
    }

    /// <summary>
    /// The certificate the TLS endpoint presents, taken from a bare handshake that records it and then refuses the
    /// server, so the certificate is seen exactly as sent, with no trust decision in the way.
    /// </summary>
    private static async Task<X509Certificate2> FetchServerCertificateAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        byte[]? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            presented = certificate?.GetRawCertData();
            return false;
        });
        await Assert.ThrowsAsync<AuthenticationException>(() => tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "demo.sango.test",
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        }));
        return X509CertificateLoader.LoadCertificate(presented ?? throw new InvalidOperationException("The broker sent no certificate."));
    }
}
