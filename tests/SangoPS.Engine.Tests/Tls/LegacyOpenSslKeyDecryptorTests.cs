using SangoPS.Errors;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>
/// The DEK-Info checks of the legacy OpenSSL key encryption; decrypting real keys of every cipher is tested with
/// openssl-written files in <see cref="ClientCertificateLoaderTests"/>.
/// </summary>
public class LegacyOpenSslKeyDecryptorTests
{
    private const string KeyFile = "/etc/sango/client.key";

    [Theory]
    [InlineData("Proc-Type: 4,ENCRYPTED\n", true)]
    [InlineData("Proc-Type: 4,encrypted\n", true)]
    [InlineData("", false)]
    public void A_block_is_encrypted_when_its_Proc_Type_says_so(string headers, bool encrypted)
    {
        var block = Block(headers);

        Assert.Equal(encrypted, LegacyOpenSslKeyDecryptor.IsEncrypted(block));
    }

    [Theory]
    [InlineData("Proc-Type: 4,ENCRYPTED\n", "is marked encrypted but has no valid DEK-Info header")]
    [InlineData("Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC\n", "is marked encrypted but has no valid DEK-Info header")]
    [InlineData("Proc-Type: 4,ENCRYPTED\nDEK-Info: DES-CBC,0011223344556677\n", "is encrypted with DES-CBC, which SangoPS does not read")]
    [InlineData("Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,not-hex\n", "has a DEK-Info header with an invalid IV ('not-hex')")]
    [InlineData("Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0011223344556677\n", "has a DEK-Info IV of 8 bytes; AES-128-CBC needs 16")]
    public void A_bad_DEK_Info_header_is_named(string headers, string expected)
    {
        var exception = Assert.Throws<SangoException>(() => LegacyOpenSslKeyDecryptor.Decrypt(KeyFile, Block(headers), new byte[16], "password"));

        Assert.Equal(SangoErrorIds.ClientCertificateInvalid, exception.ErrorId);
        Assert.Equal(SangoErrorKind.InvalidArgument, exception.Kind);
        Assert.Equal(KeyFile, exception.Target);
        Assert.Contains($"The private key file '{KeyFile}' {expected}", exception.Message, StringComparison.Ordinal);
    }

    private static PemBlock Block(string headers) =>
        Assert.Single(PemReader.ReadBlocks("-----BEGIN RSA PRIVATE KEY-----\n" + headers + "\nAAAAAAAAAAAAAAAAAAAAAA==\n-----END RSA PRIVATE KEY-----\n"));
}
