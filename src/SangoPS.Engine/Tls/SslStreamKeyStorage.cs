using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SangoPS.Tls;

/// <summary>
/// Where a loaded client certificate keeps its private key, so that SslStream can sign with it on every OS.
/// </summary>
internal static class SslStreamKeyStorage
{
    /// <summary>
    /// The flags for importing PKCS#12 data. EphemeralKeySet keeps the key off the disk, but SChannel on Windows
    /// cannot use such a key and macOS refuses it.
    /// </summary>
    public static X509KeyStorageFlags LoadFlags =>
        OperatingSystem.IsLinux() ? X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable : X509KeyStorageFlags.Exportable;

    /// <summary>
    /// A copy of <paramref name="withKey"/> whose key SslStream can use. A certificate with an in-memory key works
    /// with SslStream on Linux but not on Windows, where SChannel needs the key in a key container: a PKCS#12 round
    /// trip puts it there. Done on every OS so that they behave alike.
    /// </summary>
    public static X509Certificate2 Reimport(X509Certificate2 withKey)
    {
        var pfx = withKey.Export(X509ContentType.Pkcs12);
        try
        {
            return new X509Certificate2(pfx, (string?)null, LoadFlags);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }
}
