using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SangoPS.Tls;

/// <summary>
/// Reads the certificates of a PEM or DER file: a broker's certificate with its chain for Test-SangoCertificate
/// -Path, or a client's certificate for <see cref="ClientCertificateLoader"/>.
/// </summary>
internal static class CertificateFile
{
    /// <summary>
    /// Reads every certificate of a PEM file (in file order; other PEM blocks are skipped) or the one certificate of
    /// a DER file. <paramref name="what"/> names the file in messages, for example "certificate file".
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file holds no readable certificate.</exception>
    public static X509Certificate2Collection ReadAll(string fullPath, string what)
    {
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The {what} '{fullPath}' does not exist.", fullPath);
        }

        var bytes = File.ReadAllBytes(fullPath);
        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"The {what} '{fullPath}' is empty.");
        }

        var certificates = new X509Certificate2Collection();
        if (!PemReader.LooksLikeText(bytes))
        {
            if (PfxClientCertificateReader.IsPfx(bytes))
            {
                throw new InvalidDataException($"The {what} '{fullPath}' is a PFX/P12 file; give the certificate as PEM or DER (openssl pkcs12 -in <file> -nokeys -out cert.pem).");
            }

            certificates.Add(LoadDer(fullPath, bytes, what));
            return certificates;
        }

        foreach (var block in PemReader.ReadBlocks(PemReader.DecodeText(bytes)))
        {
            if (block.Label is not ("CERTIFICATE" or "X509 CERTIFICATE" or "TRUSTED CERTIFICATE"))
            {
                continue;
            }

            certificates.Add(LoadDer(fullPath, PemReader.DecodeBody(fullPath, block, what), what));
        }

        if (certificates.Count == 0)
        {
            throw new InvalidDataException($"The {what} '{fullPath}' holds no certificate: it should contain a -----BEGIN CERTIFICATE----- block, or be a DER certificate.");
        }

        return certificates;
    }

    private static X509Certificate2 LoadDer(string fullPath, byte[] der, string what)
    {
        try
        {
            if (X509Certificate2.GetCertContentType(der) != X509ContentType.Cert)
            {
                throw new InvalidDataException($"The {what} '{fullPath}' holds no certificate: it is neither PEM text nor a DER certificate.");
            }

            return new X509Certificate2(der);
        }
        catch (CryptographicException exception)
        {
            throw new InvalidDataException($"The {what} '{fullPath}' has a certificate that cannot be read: {exception.Message}", exception);
        }
    }
}
