using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Errors;
using static SangoPS.Tls.ClientCertificateErrors;

namespace SangoPS.Tls;

/// <summary>
/// Loads the certificate a client proves its identity with (mutual TLS): a PEM or DER certificate with a PEM key in
/// any of the forms OpenSSL writes, a PFX/P12 file, or a certificate of the Windows/.NET "My" stores. Every result
/// carries its private key in a form SslStream can use on every OS.
/// </summary>
public static class ClientCertificateLoader
{
    private const string CertificateFileWhat = "client certificate file";

    /// <summary>
    /// Loads a client certificate with its private key. With <paramref name="keyPath"/> null,
    /// <paramref name="certificatePath"/> is a PFX/P12 file (then <paramref name="password"/> is its password) or a
    /// PEM file holding both the certificate and the key; otherwise it is a PEM or DER certificate and
    /// <paramref name="keyPath"/> a PEM private key, encrypted or not (then <paramref name="password"/> is the
    /// key's password).
    /// </summary>
    /// <exception cref="SangoException">A file is missing or unreadable, the password is missing or wrong, or the key does not belong to the certificate.</exception>
    public static X509Certificate2 FromFiles(string certificatePath, string? keyPath, ReadOnlySpan<char> password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificatePath);

        var certificateFile = Path.GetFullPath(certificatePath);
        var certificateBytes = ReadFile(certificateFile, CertificateFileWhat);
        var keyFile = keyPath is null ? null : Path.GetFullPath(keyPath);

        if (!PemReader.LooksLikeText(certificateBytes) && PfxClientCertificateReader.IsPfx(certificateBytes))
        {
            if (keyFile is not null)
            {
                throw Invalid($"The client certificate file '{certificateFile}' is a PFX/P12 file, which carries its own private key; a separate key file ('{keyFile}') does not go with it.",
                    certificateFile, "Give the PFX/P12 file alone, without -ClientKeyPath (its password with " + PasswordParameter + "), or a PEM certificate with its key file.");
            }

            return PfxClientCertificateReader.Read(certificateFile, certificateBytes, password);
        }

        using var certificate = FirstCertificate(certificateFile);
        string keyText;
        if (keyFile is null)
        {
            // mosquitto and many devices keep the certificate and the key in one PEM file.
            var text = PemReader.LooksLikeText(certificateBytes) ? PemReader.DecodeText(certificateBytes) : string.Empty;
            if (!PemReader.ReadBlocks(text).Any(block => PrivateKeyReader.IsKeyLabel(block.Label)))
            {
                throw Invalid($"The client certificate file '{certificateFile}' holds no private key, and no key file was given.",
                    certificateFile, "Give the private key file (PEM) with -ClientKeyPath, or a PFX/P12 file that holds the certificate and its key.");
            }

            keyFile = certificateFile;
            keyText = text;
        }
        else
        {
            keyText = PemReader.DecodeText(ReadFile(keyFile, "private key file"));
        }

        using var key = ReadKey(keyFile, keyText, password, certificate);
        using var withKey = AttachKey(certificate, key, certificateFile, keyFile);
        return SslStreamKeyStorage.Reimport(withKey);
    }

    /// <summary>
    /// Finds the certificate with <paramref name="thumbprint"/> (SHA-1, as certificate stores show it; spaces and
    /// colons allowed) in CurrentUser\My, then LocalMachine\My. It must have a private key.
    /// </summary>
    /// <exception cref="SangoException">The thumbprint is malformed, no store has it, or it has no private key.</exception>
    public static X509Certificate2 FromStore(string thumbprint) => CertificateStoreLookup.Find(thumbprint);

    private static byte[] ReadFile(string fullPath, string what)
    {
        if (!File.Exists(fullPath))
        {
            throw new SangoException(SangoErrorIds.ClientCertificateNotFound, SangoErrorKind.ObjectNotFound,
                $"The {what} '{fullPath}' does not exist.", fullPath, "Check the path; relative paths are relative to the current location.");
        }

        var bytes = File.ReadAllBytes(fullPath);
        if (bytes.Length == 0)
        {
            throw Invalid($"The {what} '{fullPath}' is empty.", fullPath, null);
        }

        return bytes;
    }

    private static AsymmetricAlgorithm ReadKey(string keyFile, string keyText, ReadOnlySpan<char> password, X509Certificate2 certificate)
    {
        try
        {
            return PrivateKeyReader.Read(keyFile, keyText, password, certificate);
        }
        catch (InvalidDataException exception)
        {
            // A damaged block (its base64 text cut or edited) is a bad key file, said in the words of the other refusals.
            throw Invalid(exception.Message, keyFile, "Give the private key as the PEM file it was exported to (BEGIN ... PRIVATE KEY), unedited.", exception);
        }
    }

    private static X509Certificate2 FirstCertificate(string fullPath)
    {
        X509Certificate2Collection certificates;
        try
        {
            certificates = CertificateFile.ReadAll(fullPath, CertificateFileWhat);
        }
        catch (InvalidDataException exception)
        {
            throw Invalid(exception.Message, fullPath, "Give the client certificate as PEM or DER, or a PFX/P12 file.", exception);
        }

        // The first certificate is the client's own; any others are its CA chain, which the key does not belong to.
        for (var i = 1; i < certificates.Count; i++)
        {
            certificates[i].Dispose();
        }

        return certificates[0];
    }

    private static X509Certificate2 AttachKey(X509Certificate2 certificate, AsymmetricAlgorithm key, string certificateFile, string keyFile)
    {
        var certificateAlgorithm = certificate.GetKeyAlgorithm();
        var keyIsRsa = key is RSA;
        if ((certificateAlgorithm == PrivateKeyReader.RsaOid) != keyIsRsa
            || (certificateAlgorithm != PrivateKeyReader.RsaOid && certificateAlgorithm != PrivateKeyReader.EcOid))
        {
            throw Mismatch($"The private key in '{keyFile}' does not match the certificate in '{certificateFile}': the key is {(keyIsRsa ? "an RSA" : "an EC")} key, the certificate ({certificate.Subject}) is for a {CertificateDescriptions.KeyAlgorithm(certificate)} key.",
                certificateFile);
        }

        try
        {
            return key is RSA rsa ? certificate.CopyWithPrivateKey(rsa) : certificate.CopyWithPrivateKey((ECDsa)key);
        }
        catch (ArgumentException exception)
        {
            throw Mismatch($"The private key in '{keyFile}' does not match the certificate in '{certificateFile}' ({certificate.Subject}): it is another key of the same kind.",
                certificateFile, exception);
        }
    }
}
