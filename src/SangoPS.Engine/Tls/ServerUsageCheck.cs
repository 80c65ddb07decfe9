using System.Security.Cryptography.X509Certificates;

namespace SangoPS.Tls;

/// <summary>
/// Whether a certificate may be used by a TLS server at all. A client certificate or a CA certificate put on a
/// broker by mistake fails the handshake with an opaque error, so the report says it in words.
/// </summary>
internal static class ServerUsageCheck
{
    private const string EnhancedKeyUsageOid = "2.5.29.37";
    private const string KeyUsageOid = "2.5.29.15";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string RsaKeyOid = "1.2.840.113549.1.1.1";
    private const string EcKeyOid = "1.2.840.10045.2.1";

    public static IEnumerable<string> FindProblems(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            switch (extension.Oid?.Value)
            {
                case EnhancedKeyUsageOid:
                    var enhancedKeyUsage = extension as X509EnhancedKeyUsageExtension
                        ?? new X509EnhancedKeyUsageExtension(extension, extension.Critical);
                    var problem = CheckEnhancedKeyUsage(enhancedKeyUsage);
                    if (problem is not null)
                    {
                        yield return problem;
                    }

                    break;

                case KeyUsageOid:
                    var keyUsage = extension as X509KeyUsageExtension ?? new X509KeyUsageExtension(extension, extension.Critical);
                    problem = CheckKeyUsage(keyUsage.KeyUsages, certificate.PublicKey.Oid.Value);
                    if (problem is not null)
                    {
                        yield return problem;
                    }

                    break;
            }
        }
    }

    // As OpenSSL does for a TLS server: once the extension is there, serverAuth must be in it.
    private static string? CheckEnhancedKeyUsage(X509EnhancedKeyUsageExtension extension)
    {
        var usages = new List<string>();
        foreach (var usage in extension.EnhancedKeyUsages)
        {
            if (usage.Value == ServerAuthOid)
            {
                return null;
            }

            usages.Add(CertificateDescriptions.UsageName(usage));
        }

        var allowed = usages.Count == 0 ? "nothing" : string.Join(", ", usages);
        return $"The certificate is not meant for servers: its extended key usage allows {allowed} but not serverAuth ({ServerAuthOid}), so TLS clients refuse it for a broker. Reissue it with serverAuth in its extended key usage.";
    }

    // TLS 1.3 and ECDHE sign with the key (digitalSignature); TLS 1.2 RSA key exchange encrypts to it
    // (keyEncipherment); static ECDH agrees on a key with it (keyAgreement). One of those is enough.
    private static string? CheckKeyUsage(X509KeyUsageFlags flags, string? keyAlgorithmOid)
    {
        var (needed, neededNames) = keyAlgorithmOid switch
        {
            RsaKeyOid => (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, "digitalSignature or keyEncipherment"),
            EcKeyOid => (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, "digitalSignature or keyAgreement"),
            _ => (X509KeyUsageFlags.DigitalSignature, "digitalSignature"),
        };

        return (flags & needed) != 0
            ? null
            : $"The certificate is not meant for servers: its key usage allows only {CertificateDescriptions.KeyUsageNames(flags)}, without {neededNames}, which a TLS server needs to use its key. Reissue it with digitalSignature in its key usage.";
    }
}
