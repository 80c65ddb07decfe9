using System.Security.Cryptography.X509Certificates;

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

    /// <summary>Loads a CA file (PEM bundle or DER certificate) with <see cref="CaBundleLoader"/> and trusts only its certificates.</summary>
    public static CertificateTrustOptions FromCaFile(string path) => new(CaBundleLoader.Load(path), path);
}
