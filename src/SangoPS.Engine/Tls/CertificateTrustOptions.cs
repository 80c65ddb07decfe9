using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Errors;

namespace SangoPS.Tls;

/// <summary>
/// Which certificate authorities a server certificate must chain to: the CA certificates given with -CaFile,
/// or, when none are given, the operating system's trusted root store.
/// </summary>
public sealed class CertificateTrustOptions
{
    /// <summary>Trust the operating system's root store.</summary>
    public CertificateTrustOptions()
    {
    }

    /// <summary>Trust only <paramref name="customRoots"/>, loaded from <paramref name="caFilePath"/> when it came from a file.</summary>
    public CertificateTrustOptions(X509Certificate2Collection customRoots, string? caFilePath = null)
    {
        ArgumentNullException.ThrowIfNull(customRoots);
        CustomRoots = customRoots;
        CaFilePath = caFilePath;
    }

    /// <summary>
    /// The only roots to trust; when set the system store is ignored, so a private broker CA does not have to be
    /// installed machine-wide. Null means the system store.
    /// </summary>
    public X509Certificate2Collection? CustomRoots { get; init; }

    /// <summary>Where <see cref="CustomRoots"/> were read from, so that problems can name the file.</summary>
    public string? CaFilePath { get; init; }

    /// <summary>The options that trust the operating system's root store.</summary>
    public static CertificateTrustOptions SystemStore { get; } = new();

    /// <summary>
    /// Loads the CA file given with -CaFile (a PEM bundle or a DER certificate, read by <see cref="CaBundleLoader"/>)
    /// and trusts only its certificates. Every cmdlet with -CaFile goes through here, so a bad file gets the same
    /// error everywhere.
    /// </summary>
    /// <param name="path">The file's full path; it is kept as <see cref="CaFilePath"/> and is the error's target.</param>
    /// <exception cref="SangoException">
    /// <see cref="SangoErrorIds.CaFileInvalid"/>: the file is missing, unreadable, empty, or holds no readable certificate.
    /// </exception>
    public static CertificateTrustOptions FromCaFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        try
        {
            return new(CaBundleLoader.Load(path), path);
        }
        catch (Exception exception) when (exception is IOException or InvalidDataException or UnauthorizedAccessException or CryptographicException)
        {
            // The loader's message already names the file and what is wrong with it.
            throw new SangoException(SangoErrorIds.CaFileInvalid, SangoErrorKind.InvalidArgument, exception.Message, path,
                "Give -CaFile the CA certificate that issued the broker's certificate: a PEM file with one or more CERTIFICATE blocks, or one DER/CRT certificate.",
                exception);
        }
    }
}
