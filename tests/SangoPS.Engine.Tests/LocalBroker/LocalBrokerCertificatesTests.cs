using System.Security.Cryptography.X509Certificates;
using SangoPS.LocalBroker;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.LocalBroker;

/// <summary>The throwaway CA and server certificate of the local broker carry what the brief promises, no more.</summary>
public class LocalBrokerCertificatesTests
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    [Fact]
    public void The_CA_is_a_one_day_P256_CA_without_its_key()
    {
        using var certificates = LocalBrokerCertificates.Create();
        var ca = certificates.CaCertificate;

        Assert.Equal("CN=SangoPS Demo CA", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.False(ca.HasPrivateKey);
        Assert.Equal("ECDSA P-256", CertificateDescriptions.KeyAlgorithm(ca));
        var constraints = Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        var usage = Assert.Single(ca.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        AssertLivesAboutOneDay(ca);
    }

    [Fact]
    public void The_server_certificate_is_a_P256_wildcard_for_serverAuth_with_a_usable_key()
    {
        using var certificates = LocalBrokerCertificates.Create();
        var server = certificates.ServerCertificate;

        Assert.Equal("CN=*.sango.test", server.Subject);
        Assert.Equal("CN=SangoPS Demo CA", server.Issuer);
        Assert.True(server.HasPrivateKey);
        using (var key = server.GetECDsaPrivateKey())
        {
            Assert.NotNull(key);
            Assert.Equal(256, key.KeySize);
        }

        var san = Assert.Single(server.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["*.sango.test", "localhost"], san.EnumerateDnsNames());
        Assert.Equal(["127.0.0.1"], san.EnumerateIPAddresses().Select(a => a.ToString()));
        var eku = Assert.Single(server.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal([ServerAuthOid], eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        var usage = Assert.Single(server.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        Assert.False(Assert.Single(server.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        AssertLivesAboutOneDay(server);

        var report = CertificateInspector.Inspect(server, "demo.sango.test", new CertificateTrustOptions([certificates.CaCertificate]));
        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
    }

    [Fact]
    public void The_CA_file_is_PEM_that_the_CA_loader_reads_back()
    {
        using var certificates = LocalBrokerCertificates.Create();
        var path = certificates.WriteCaFile();
        try
        {
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(path), StringComparison.Ordinal);
            var loaded = Assert.Single(CaBundleLoader.Load(path));
            Assert.Equal(certificates.CaCertificate.Thumbprint, loaded.Thumbprint);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertLivesAboutOneDay(X509Certificate2 certificate)
    {
        var now = DateTime.UtcNow;
        Assert.InRange(certificate.NotBefore.ToUniversalTime(), now.AddMinutes(-10), now);
        Assert.InRange(certificate.NotAfter.ToUniversalTime(), now.AddDays(1).AddMinutes(-1), now.AddDays(1).AddMinutes(1));
    }
}
