using System.Security.Cryptography;
using System.Text;
using static SangoPS.Tls.ClientCertificateErrors;

namespace SangoPS.Tls;

/// <summary>
/// Decrypts the legacy OpenSSL key encryption (openssl genrsa -des3, openssl rsa -traditional -aes256): a
/// "Proc-Type: 4,ENCRYPTED" block whose DEK-Info header names the cipher and IV. .NET does not read it: the key is
/// EVP_BytesToKey(MD5, one round, salt = the first 8 IV bytes) of the password.
/// </summary>
internal static class LegacyOpenSslKeyDecryptor
{
    /// <summary>True when <paramref name="block"/> carries the legacy "Proc-Type: 4,ENCRYPTED" header.</summary>
    public static bool IsEncrypted(PemBlock block) =>
        block.Headers.TryGetValue("Proc-Type", out var procType) && procType.Contains("ENCRYPTED", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the plain PKCS#1 or SEC 1 key of <paramref name="block"/>, whose body is <paramref name="encrypted"/>.</summary>
    /// <exception cref="Errors.SangoException">The DEK-Info header is missing or unsupported, or the password is wrong.</exception>
    public static byte[] Decrypt(string keyFile, PemBlock block, byte[] encrypted, ReadOnlySpan<char> password)
    {
        if (!block.Headers.TryGetValue("DEK-Info", out var dekInfo) || dekInfo.Split(',', 2) is not [var cipherName, var ivHex])
        {
            throw Invalid($"The private key file '{keyFile}' is marked encrypted but has no valid DEK-Info header.", keyFile,
                "Re-export the key, for example: openssl pkey -in <key> -aes256 -out key.pem");
        }

        cipherName = cipherName.Trim().ToUpperInvariant();
        var (keySize, blockSize) = cipherName switch
        {
            "DES-EDE3-CBC" => (24, 8),
            "AES-128-CBC" => (16, 16),
            "AES-192-CBC" => (24, 16),
            "AES-256-CBC" => (32, 16),
            _ => (0, 0),
        };
        if (keySize == 0)
        {
            throw Invalid($"The private key file '{keyFile}' is encrypted with {cipherName}, which SangoPS does not read; DES-EDE3-CBC and AES-128/192/256-CBC are supported.",
                keyFile, "Re-encrypt the key: openssl pkey -in <key> -aes256 -out key.pem (writes an ENCRYPTED PRIVATE KEY).");
        }

        byte[] iv;
        try
        {
            iv = Convert.FromHexString(ivHex.Trim());
        }
        catch (FormatException exception)
        {
            throw Invalid($"The private key file '{keyFile}' has a DEK-Info header with an invalid IV ('{ivHex.Trim()}').", keyFile, null, exception);
        }

        if (iv.Length != blockSize)
        {
            throw Invalid($"The private key file '{keyFile}' has a DEK-Info IV of {iv.Length} bytes; {cipherName} needs {blockSize}.", keyFile, null);
        }

        var passwordBytes = new byte[Encoding.UTF8.GetMaxByteCount(password.Length)];
        var passwordLength = Encoding.UTF8.GetBytes(password, passwordBytes);
        var key = BytesToKey(passwordBytes.AsSpan(0, passwordLength), iv.AsSpan(0, 8), keySize);
        try
        {
            // The format fixes the cipher; reading an existing key is the only use of Triple DES here.
#pragma warning disable CA5350
            using SymmetricAlgorithm cipher = cipherName == "DES-EDE3-CBC" ? TripleDES.Create() : Aes.Create();
#pragma warning restore CA5350
            cipher.Key = key;
            return cipher.DecryptCbc(encrypted, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException exception)
        {
            throw WrongPassword($"The private key file '{keyFile}' cannot be decrypted: the key password is wrong.", keyFile, exception);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] BytesToKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int keySize)
    {
        var key = new byte[keySize];
        var input = new byte[MD5.HashSizeInBytes + password.Length + salt.Length];
        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        var filled = 0;
        var previous = 0;
        try
        {
            while (filled < keySize)
            {
                // D_i = MD5(D_(i-1) || password || salt), D_0 empty; the key is D_1 || D_2 || ... cut to size.
                password.CopyTo(input.AsSpan(previous));
                salt.CopyTo(input.AsSpan(previous + password.Length));
                // OpenSSL's legacy key derivation is MD5 by definition; it protects nothing new, it only reads old keys.
#pragma warning disable CA5351
                MD5.HashData(input.AsSpan(0, previous + password.Length + salt.Length), digest);
#pragma warning restore CA5351
                var take = Math.Min(digest.Length, keySize - filled);
                digest[..take].CopyTo(key.AsSpan(filled));
                filled += take;
                digest.CopyTo(input);
                previous = digest.Length;
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
            CryptographicOperations.ZeroMemory(digest);
        }
    }
}
