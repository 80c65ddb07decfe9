using System.Text;
using SangoPS.Errors;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>The one place a -CaFile becomes trust, for Connect-Sango and Test-SangoCertificate alike.</summary>
public class CertificateTrustOptionsTests
{
    [Fact]
    public void Trust_options_from_a_CA_file_keep_its_path()
    {
        using var folder = new TempDirectory();
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        var path = folder.File("ca.pem");
        File.WriteAllText(path, root.ExportCertificatePem(), Encoding.ASCII);

        var trust = CertificateTrustOptions.FromCaFile(path);

        Assert.Equal(path, trust.CaFilePath);
        Assert.Single(trust.CustomRoots!);
    }

    [Fact]
    public void A_missing_CA_file_is_CaFileInvalid_with_the_path_as_target()
    {
        using var folder = new TempDirectory();
        var path = folder.File("no-such-ca.pem");

        var exception = Assert.Throws<SangoException>(() => CertificateTrustOptions.FromCaFile(path));

        Assert.Equal(SangoErrorIds.CaFileInvalid, exception.ErrorId);
        Assert.Equal(SangoErrorKind.InvalidArgument, exception.Kind);
        Assert.Equal(path, exception.Target);
        Assert.Equal($"The CA file '{path}' does not exist.", exception.Message);
        Assert.StartsWith("Give -CaFile ", exception.RecommendedAction, StringComparison.Ordinal);
        Assert.IsType<FileNotFoundException>(exception.InnerException);
    }

    [Fact]
    public void A_CA_file_without_a_certificate_is_CaFileInvalid_with_the_loaders_reason()
    {
        using var folder = new TempDirectory();
        var empty = folder.File("empty.pem");
        var keyOnly = folder.File("key.pem");
        File.WriteAllBytes(empty, []);
        File.WriteAllText(keyOnly, "-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n", Encoding.ASCII);

        var isEmpty = Assert.Throws<SangoException>(() => CertificateTrustOptions.FromCaFile(empty));
        var noCertificate = Assert.Throws<SangoException>(() => CertificateTrustOptions.FromCaFile(keyOnly));

        Assert.Equal(SangoErrorIds.CaFileInvalid, isEmpty.ErrorId);
        Assert.StartsWith($"The CA file '{empty}' is empty", isEmpty.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidDataException>(isEmpty.InnerException);
        Assert.Equal(SangoErrorIds.CaFileInvalid, noCertificate.ErrorId);
        Assert.StartsWith($"The CA file '{keyOnly}' holds no certificate", noCertificate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_given_as_CA_file_is_CaFileInvalid()
    {
        using var folder = new TempDirectory();

        var exception = Assert.Throws<SangoException>(() => CertificateTrustOptions.FromCaFile(folder.Path));

        Assert.Equal(SangoErrorIds.CaFileInvalid, exception.ErrorId);
        Assert.Equal(folder.Path, exception.Target);
    }
}
