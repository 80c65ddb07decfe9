using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SangoPS.LocalBroker;

/// <summary>
/// A throwaway CA and an ECC wildcard server certificate it signed, made in memory for the local broker's TLS
/// endpoint, so the demo can show -CaFile and a wildcard match without OpenSSL, files to ship, or a trust store
/// to touch. Both live one day: nothing made here is worth keeping.
/// </summary>
internal sealed class LocalBrokerCertificates : IDisposable
{
    public const string CaSubject = "CN=SangoPS Demo CA";
    public const string ServerSubject = "CN=*.sango.test";
    public const string WildcardName = "*.sango.test";

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    // Back-dated a little so a client whose clock runs slightly behind (a VM, a container) still accepts it.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    private LocalBrokerCertificates(X509Certificate2 caCertificate, X509Certificate2 serverCertificate)
    {
        CaCertificate = caCertificate;
        ServerCertificate = serverCertificate;
    }

    /// <summary>The CA certificate, without its key (the key is thrown away once the server certificate is signed).</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The server certificate with a private key SslStream can use on every OS.</summary>
    public X509Certificate2 ServerCertificate { get; }

    public static LocalBrokerCertificates Create()
    {
        var notBefore = DateTimeOffset.UtcNow - ClockSkew;
        var notAfter = notBefore + ClockSkew + Lifetime;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest(CaSubject, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest(ServerSubject, serverKey, HashAlgorithmName.SHA256);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(WildcardName);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());

        using var signed = serverRequest.Create(ca, notBefore, notAfter, NewSerialNumber());
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        // SslStream on Windows cannot use the ephemeral key CopyWithPrivateKey leaves ("No credentials are
        // available"); a PKCS#12 round trip gives the key a form every platform's TLS accepts. Without
        // PersistKeySet the imported key is removed again when the certificate is disposed.
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var pkcs12 = withKey.Export(X509ContentType.Pkcs12, password);
        try
        {
            var server = new X509Certificate2(pkcs12, password, X509KeyStorageFlags.UserKeySet);
            return new LocalBrokerCertificates(new X509Certificate2(ca.RawData), server);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs12);
        }
    }

    /// <summary>Writes the CA certificate as PEM to a new file in the temp folder and returns its full path.</summary>
    public string WriteCaFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sangops-demo-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, CaCertificate.ExportCertificatePem() + Environment.NewLine);
        return path;
    }

    public void Dispose()
    {
        ServerCertificate.Dispose();
        CaCertificate.Dispose();
    }

    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);

        // A serial number is a positive INTEGER: a set top bit would make it negative.
        serial[0] &= 0x7F;
        return serial;
    }
}
