using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SangoPS.Tls;

/// <summary>
/// Reads the file given with -CaFile: a PEM bundle of one or more certificates (what mosquitto and OpenSSL use),
/// or one binary DER certificate (a Windows .cer/.crt export). Errors name the file, since that is what a user fixes.
/// </summary>
public static class CaBundleLoader
{
    private const string PemCertificateHeader = "-----BEGIN CERTIFICATE-----";

    /// <summary>Reads every certificate of the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, holds no certificate, or a certificate in it is damaged.</exception>
    public static X509Certificate2Collection Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The CA file '{fullPath}' does not exist.", fullPath);
        }

        var bytes = File.ReadAllBytes(fullPath);
        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"The CA file '{fullPath}' is empty; it should hold the CA certificate in PEM ({PemCertificateHeader}) or DER form.");
        }

        return LooksLikeText(bytes) ? LoadPem(fullPath, bytes) : LoadDer(fullPath, bytes);
    }

    private static X509Certificate2Collection LoadPem(string fullPath, byte[] bytes)
    {
        // Windows PowerShell 5 writes UTF-16 files by default, so honour a byte order mark rather than assume UTF-8.
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var text = reader.ReadToEnd();
        if (!text.Contains(PemCertificateHeader, StringComparison.Ordinal))
        {
            var what = text.Contains("-----BEGIN ", StringComparison.Ordinal)
                ? "has PEM blocks, but none of them is a certificate (a private key or request is not a CA certificate)"
                : "is text without any PEM certificate block";
            throw new InvalidDataException($"The CA file '{fullPath}' holds no certificate: it {what}. It should contain {PemCertificateHeader} blocks.");
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            // Other PEM blocks (keys, comments) are skipped; a damaged certificate block is an error, not a silent gap.
            certificates.ImportFromPem(text);
        }
        catch (CryptographicException exception)
        {
            throw new InvalidDataException($"The CA file '{fullPath}' has a certificate block that cannot be read: {exception.Message}", exception);
        }

        if (certificates.Count == 0)
        {
            throw new InvalidDataException($"The CA file '{fullPath}' holds no certificate that could be read.");
        }

        return certificates;
    }

    private static X509Certificate2Collection LoadDer(string fullPath, byte[] bytes)
    {
        try
        {
            // Only a bare certificate is accepted: a PKCS#12 file would carry a private key that has no business in a CA file.
            if (X509Certificate2.GetCertContentType(bytes) != X509ContentType.Cert)
            {
                throw new InvalidDataException($"The CA file '{fullPath}' holds no certificate: it is neither PEM text nor a DER certificate.");
            }

            return [new X509Certificate2(bytes)];
        }
        catch (CryptographicException exception)
        {
            throw new InvalidDataException($"The CA file '{fullPath}' holds no certificate: it is neither PEM text nor a DER certificate ({exception.Message}).", exception);
        }
    }

    // DER always starts with a SEQUENCE tag (0x30) and has binary length bytes; PEM is printable text.
    private static bool LooksLikeText(byte[] bytes) => bytes[0] != 0x30;
}
