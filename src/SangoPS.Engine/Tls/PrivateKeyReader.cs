using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using static SangoPS.Tls.ClientCertificateErrors;

namespace SangoPS.Tls;

/// <summary>
/// Reads the RSA or EC private key of a PEM file in any form OpenSSL writes: PKCS#8 (PRIVATE KEY), encrypted
/// PKCS#8 (ENCRYPTED PRIVATE KEY), and PKCS#1/SEC 1 (RSA PRIVATE KEY, EC PRIVATE KEY), plain or with the legacy
/// OpenSSL encryption.
/// </summary>
internal static class PrivateKeyReader
{
    public const string RsaOid = "1.2.840.113549.1.1.1";
    public const string EcOid = "1.2.840.10045.2.1";

    /// <summary>True for the labels of the PEM blocks that hold a private key this reader reads.</summary>
    public static bool IsKeyLabel(string label) =>
        label is "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY";

    /// <summary>
    /// Reads the first private key block of <paramref name="text"/>, the contents of <paramref name="keyFile"/>.
    /// <paramref name="certificate"/> is the certificate the key should belong to.
    /// </summary>
    /// <exception cref="Errors.SangoException">No key block, a damaged or unsupported key, or a missing or wrong password.</exception>
    public static AsymmetricAlgorithm Read(string keyFile, string text, ReadOnlySpan<char> password, X509Certificate2 certificate)
    {
        var blocks = PemReader.ReadBlocks(text).ToList();
        var block = blocks.FirstOrDefault(b => IsKeyLabel(b.Label));
        if (block is null)
        {
            var found = blocks.Count == 0
                ? "it has no PEM block"
                : "it has only " + string.Join(", ", blocks.Select(b => b.Label).Distinct(StringComparer.Ordinal)) + " blocks";
            if (blocks.Any(b => b.Label == "OPENSSH PRIVATE KEY"))
            {
                found = "it is an OpenSSH key, not a TLS key";
            }

            throw Invalid($"The private key file '{keyFile}' holds no private key that can be read: {found}. It should contain a -----BEGIN PRIVATE KEY-----, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block.",
                keyFile, "Give the PEM key that belongs to the certificate (openssl pkey -in <key> converts most formats).");
        }

        var der = PemReader.DecodeBody(keyFile, block, "private key file");
        try
        {
            switch (block.Label)
            {
                case "PRIVATE KEY":
                    return ImportPkcs8(keyFile, der);
                case "ENCRYPTED PRIVATE KEY":
                    if (password.IsEmpty)
                    {
                        throw PasswordRequired($"The private key file '{keyFile}' is encrypted (ENCRYPTED PRIVATE KEY), and no password was given.", keyFile, null);
                    }

                    return ImportEncryptedPkcs8(keyFile, der, password, certificate);
                default:
                    var isRsa = block.Label == "RSA PRIVATE KEY";
                    if (LegacyOpenSslKeyDecryptor.IsEncrypted(block))
                    {
                        if (password.IsEmpty)
                        {
                            throw PasswordRequired($"The private key file '{keyFile}' is encrypted ({block.Label} with Proc-Type: 4,ENCRYPTED), and no password was given.", keyFile, null);
                        }

                        var plain = LegacyOpenSslKeyDecryptor.Decrypt(keyFile, block, der, password);
                        try
                        {
                            return ImportTraditional(isRsa, plain, keyFile, wrongPasswordLikely: true);
                        }
                        finally
                        {
                            CryptographicOperations.ZeroMemory(plain);
                        }
                    }

                    return ImportTraditional(isRsa, der, keyFile, wrongPasswordLikely: false);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    private static AsymmetricAlgorithm ImportPkcs8(string keyFile, byte[] der)
    {
        var oid = Pkcs8AlgorithmOid(der);
        AsymmetricAlgorithm key = oid switch
        {
            RsaOid => RSA.Create(),
            EcOid => ECDsa.Create(),
            _ => throw Invalid($"The private key file '{keyFile}' holds a {DescribeKeyOid(oid)} key, which .NET cannot use for TLS client authentication; only RSA and ECDSA keys work.",
                keyFile, "Use an RSA or ECDSA (P-256, P-384) client certificate."),
        };
        try
        {
            key.ImportPkcs8PrivateKey(der, out _);
            return key;
        }
        catch (CryptographicException exception)
        {
            key.Dispose();
            throw Invalid($"The private key file '{keyFile}' has a damaged PRIVATE KEY block: {exception.Message}", keyFile,
                "Check the key with openssl pkey -in <key> -noout.", exception);
        }
    }

    private static AsymmetricAlgorithm ImportEncryptedPkcs8(string keyFile, byte[] der, ReadOnlySpan<char> password, X509Certificate2 certificate)
    {
        // The algorithm is inside the encrypted part, so try the certificate's first: a key of the other kind means
        // the wrong key file, a key of neither kind means the wrong password.
        var certificateIsRsa = certificate.GetKeyAlgorithm() == RsaOid;
        CryptographicException? firstFailure = null;
        foreach (var tryRsa in new[] { certificateIsRsa, !certificateIsRsa })
        {
            AsymmetricAlgorithm key = tryRsa ? RSA.Create() : ECDsa.Create();
            try
            {
                key.ImportEncryptedPkcs8PrivateKey(password, der, out _);
                return key;
            }
            catch (CryptographicException exception)
            {
                key.Dispose();
                firstFailure ??= exception;
            }
        }

        throw WrongPassword($"The private key file '{keyFile}' cannot be decrypted: the key password is wrong.", keyFile, firstFailure);
    }

    private static AsymmetricAlgorithm ImportTraditional(bool isRsa, byte[] der, string keyFile, bool wrongPasswordLikely)
    {
        AsymmetricAlgorithm key = isRsa ? RSA.Create() : ECDsa.Create();
        try
        {
            if (key is RSA rsa)
            {
                rsa.ImportRSAPrivateKey(der, out _);
            }
            else
            {
                ((ECDsa)key).ImportECPrivateKey(der, out _);
            }

            return key;
        }
        catch (CryptographicException exception)
        {
            key.Dispose();
            if (wrongPasswordLikely)
            {
                // Decryption with a wrong key passes the padding check about once in 256 tries and yields garbage.
                throw WrongPassword($"The private key file '{keyFile}' cannot be decrypted: the key password is wrong.", keyFile, exception);
            }

            throw Invalid($"The private key file '{keyFile}' has a damaged {(isRsa ? "RSA" : "EC")} PRIVATE KEY block: {exception.Message}", keyFile,
                "Check the key with openssl pkey -in <key> -noout.", exception);
        }
    }

    private static string? Pkcs8AlgorithmOid(byte[] der)
    {
        try
        {
            var info = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            _ = info.ReadIntegerBytes();
            return info.ReadSequence().ReadObjectIdentifier();
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static string DescribeKeyOid(string? oid) => oid switch
    {
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        null => "unreadable",
        _ => oid,
    };
}
