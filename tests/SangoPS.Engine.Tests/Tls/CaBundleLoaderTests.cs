using System.Security.Cryptography;
using System.Text;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

public class CaBundleLoaderTests
{
    [Fact]
    public void A_PEM_bundle_gives_every_certificate()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var intermediate = TestCertificates.CreateIntermediateCa(root, "CN=Sango Test Intermediate CA");
        var path = folder.File("bundle.pem");
        File.WriteAllText(path, "Sango CA bundle\n" + root.ExportCertificatePem() + "\n\n" + intermediate.ExportCertificatePem() + "\n");

        var certificates = CaBundleLoader.Load(path);

        Assert.Equal(2, certificates.Count);
        Assert.Equal("CN=Sango Test Root CA", certificates[0].Subject);
        Assert.Equal("CN=Sango Test Intermediate CA", certificates[1].Subject);
        Assert.All(certificates, certificate => Assert.False(certificate.HasPrivateKey));
    }

    [Fact]
    public void Private_keys_beside_the_certificates_are_skipped()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var key = ECDsa.Create();
        var path = folder.File("mixed.pem");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem() + "\n" + root.ExportCertificatePem());

        var certificate = Assert.Single(CaBundleLoader.Load(path));

        Assert.Equal("CN=Sango Test Root CA", certificate.Subject);
    }

    [Fact]
    public void A_UTF16_PEM_file_as_Windows_PowerShell_writes_it_is_read()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        var path = folder.File("utf16.pem");
        File.WriteAllText(path, root.ExportCertificatePem(), Encoding.Unicode);

        var certificate = Assert.Single(CaBundleLoader.Load(path));

        Assert.Equal(root.Thumbprint, certificate.Thumbprint);
    }

    [Fact]
    public void A_single_DER_file_gives_its_certificate()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        var path = folder.File("ca.crt");
        File.WriteAllBytes(path, root.RawData);

        var certificate = Assert.Single(CaBundleLoader.Load(path));

        Assert.Equal(root.Thumbprint, certificate.Thumbprint);
    }

    [Fact]
    public void A_missing_file_names_the_path()
    {
        using var folder = new TempDirectory();
        var path = folder.File("missing.pem");

        var exception = Assert.Throws<FileNotFoundException>(() => CaBundleLoader.Load(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", exception.Message, StringComparison.Ordinal);
        Assert.Equal(path, exception.FileName);
    }

    [Fact]
    public void An_empty_file_names_the_path()
    {
        using var folder = new TempDirectory();
        var path = folder.File("empty.pem");
        File.WriteAllBytes(path, []);

        var exception = Assert.Throws<InvalidDataException>(() => CaBundleLoader.Load(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("is empty", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_file_without_a_certificate_names_the_path()
    {
        using var folder = new TempDirectory();
        var path = folder.File("notes.txt");
        File.WriteAllText(path, "this is not a certificate\n");

        var exception = Assert.Throws<InvalidDataException>(() => CaBundleLoader.Load(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("holds no certificate", exception.Message, StringComparison.Ordinal);
        Assert.Contains("-----BEGIN CERTIFICATE-----", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_only_a_private_key_names_the_path()
    {
        using var folder = new TempDirectory();
        using var key = ECDsa.Create();
        var path = folder.File("key.pem");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());

        var exception = Assert.Throws<InvalidDataException>(() => CaBundleLoader.Load(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("none of them is a certificate", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_certificate_block_names_the_path()
    {
        using var folder = new TempDirectory();
        var path = folder.File("damaged.pem");
        File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\nTUlJQm9vZ3VzCg==\n-----END CERTIFICATE-----\n");

        var exception = Assert.Throws<InvalidDataException>(() => CaBundleLoader.Load(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_binary_file_that_is_no_certificate_names_the_path()
    {
        using var folder = new TempDirectory();
        var path = folder.File("random.der");
        File.WriteAllBytes(path, [0x30, 0x03, 0x02, 0x01, 0x05]);

        var exception = Assert.Throws<InvalidDataException>(() => CaBundleLoader.Load(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("neither PEM text nor a DER certificate", exception.Message, StringComparison.Ordinal);
    }
}
