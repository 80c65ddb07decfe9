using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using static SangoPS.Tls.ClientCertificateErrors;

namespace SangoPS.Tls;

/// <summary>Reads a client certificate with its private key from a PFX/P12 (PKCS#12) file.</summary>
internal static class PfxClientCertificateReader
{
    // Windows reports a wrong PFX password as ERROR_INVALID_PASSWORD, and .NET uses the same HResult elsewhere.
    private const int InvalidPasswordHResult = unchecked((int)0x80070056);

    /// <summary>True when <paramref name="bytes"/> are a PFX/P12 file.</summary>
    public static bool IsPfx(byte[] bytes)
    {
        try
        {
            return X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// The certificate of <paramref name="bytes"/> (the contents of <paramref name="fullPath"/>) that has a private
    /// key, opened with <paramref name="password"/>; other certificates in the file (its CA chain) are dropped.
    /// </summary>
    /// <exception cref="Errors.SangoException">The password is missing or wrong, the file is damaged, or it holds no key.</exception>
    public static X509Certificate2 Read(string fullPath, byte[] bytes, ReadOnlySpan<char> password)
    {
        X509Certificate2Collection all;
        try
        {
            all = new X509Certificate2Collection();
            all.Import(bytes, password, SslStreamKeyStorage.LoadFlags);
        }
        catch (CryptographicException exception) when (exception.HResult == InvalidPasswordHResult || LooksLikePasswordError(exception))
        {
            throw password.IsEmpty
                ? PasswordRequired($"The PFX/P12 file '{fullPath}' is protected by a password, and none was given.", fullPath, exception)
                : WrongPassword($"The PFX/P12 file '{fullPath}' cannot be opened: the key password is wrong.", fullPath, exception);
        }
        catch (CryptographicException exception)
        {
            throw Invalid($"The PFX/P12 file '{fullPath}' cannot be read: {exception.Message}", fullPath,
                "Check that the file is a complete PFX/P12 export (openssl pkcs12 -info -in <file> shows its contents).", exception);
        }

        try
        {
            // The client's own certificate is the one with the key; CA certificates may come along in the file.
            var own = all.Cast<X509Certificate2>().FirstOrDefault(c => c.HasPrivateKey)
                ?? throw Invalid($"The PFX/P12 file '{fullPath}' holds no private key, only certificates.", fullPath,
                    "Export the certificate together with its private key.");
            return SslStreamKeyStorage.Reimport(own);
        }
        finally
        {
            foreach (var certificate in all)
            {
                certificate.Dispose();
            }
        }
    }

    private static bool LooksLikePasswordError(CryptographicException exception) =>
        exception.Message.Contains("password", StringComparison.OrdinalIgnoreCase);
}
