using System.Security.Cryptography.X509Certificates;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>The certificate files Test-SangoCertificate -Path reads (and the client certificate loader after it).</summary>
public class CertificateFileTests
{
    [Fact]
    public void A_PEM_chain_gives_its_certificates_in_file_order_and_skips_other_blocks()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(issuer: root);
        var path = folder.File("chain.pem");
        File.WriteAllText(path, leaf.ExportCertificatePem() + "\n-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n" + root.ExportCertificatePem());

        var certificates = CertificateFile.ReadAll(path, "certificate file");

        Assert.Equal([leaf.Thumbprint, root.Thumbprint], certificates.Select(c => c.Thumbprint));
    }

    [Fact]
    public void A_DER_certificate_is_read()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        var path = folder.File("broker.cer");
        File.WriteAllBytes(path, root.RawData);

        var certificate = Assert.Single(CertificateFile.ReadAll(path, "certificate file"));

        Assert.Equal(root.Thumbprint, certificate.Thumbprint);
    }

    [Fact]
    public void A_PFX_file_is_refused_with_the_openssl_command_that_converts_it()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        var path = folder.File("broker.pfx");
        File.WriteAllBytes(path, root.Export(X509ContentType.Pkcs12));

        var exception = Assert.Throws<InvalidDataException>(() => CertificateFile.ReadAll(path, "certificate file"));

        Assert.StartsWith($"The certificate file '{path}' is a PFX/P12 file", exception.Message, StringComparison.Ordinal);
        Assert.Contains("openssl pkcs12 -in <file> -nokeys", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_empty_and_certificate_less_files_are_named()
    {
        using var folder = new TempDirectory();
        var missing = folder.File("missing.pem");
        var empty = folder.File("empty.pem");
        var keyOnly = folder.File("key.pem");
        File.WriteAllBytes(empty, []);
        File.WriteAllText(keyOnly, "-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n");

        var notFound = Assert.Throws<FileNotFoundException>(() => CertificateFile.ReadAll(missing, "certificate file"));
        var isEmpty = Assert.Throws<InvalidDataException>(() => CertificateFile.ReadAll(empty, "certificate file"));
        var noCertificate = Assert.Throws<InvalidDataException>(() => CertificateFile.ReadAll(keyOnly, "certificate file"));

        Assert.Equal($"The certificate file '{missing}' does not exist.", notFound.Message);
        Assert.Equal($"The certificate file '{empty}' is empty.", isEmpty.Message);
        Assert.StartsWith($"The certificate file '{keyOnly}' holds no certificate", noCertificate.Message, StringComparison.Ordinal);
    }
}
