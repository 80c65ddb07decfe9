using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>
/// Makes certificates in-process, so the tests need no files, no network and no OpenSSL command line.
/// Every date is fixed around <see cref="Now"/> so day counts and messages are the same on every run.
/// </summary>
internal static class TestCertificates
{
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>The moment every inspection in the tests is made at.</summary>
    public static readonly DateTimeOffset Now = new(2030, 6, 15, 12, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset LeafNotBefore = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset LeafNotAfter = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset CaNotBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset CaNotAfter = new(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A self-signed root CA with its private key.</summary>
    public static X509Certificate2 CreateRootCa(string subject, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        AddCaExtensions(request);
        return request.CreateSelfSigned(notBefore ?? CaNotBefore, notAfter ?? CaNotAfter);
    }

    /// <summary>An intermediate CA issued by <paramref name="issuer"/>, with its private key.</summary>
    public static X509Certificate2 CreateIntermediateCa(X509Certificate2 issuer, string subject, bool isCertificateAuthority = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (isCertificateAuthority)
        {
            AddCaExtensions(request);
        }
        else
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = request.Create(issuer, CaNotBefore.AddDays(1), CaNotAfter.AddDays(-1), NewSerial());
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// A server certificate. <paramref name="subjectAltNames"/> holds entries such as <c>DNS:*.sango.test</c> or
    /// <c>IP:127.0.0.1</c>; <paramref name="issuer"/> null makes it self-signed; <paramref name="extendedKeyUsages"/>
    /// null means serverAuth and an empty array leaves the extension out.
    /// </summary>
    public static X509Certificate2 CreateLeaf(
        string subject = "CN=broker.sango.test",
        string[]? subjectAltNames = null,
        X509Certificate2? issuer = null,
        TestKey key = TestKey.EcdsaP256,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        string[]? extendedKeyUsages = null,
        X509KeyUsageFlags? keyUsage = null,
        bool addAuthorityKeyIdentifier = true)
    {
        using var ecdsa = key switch
        {
            TestKey.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            TestKey.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            _ => null,
        };
        using var rsa = key == TestKey.Rsa2048 ? RSA.Create(2048) : null;
        var request = rsa is not null
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, ecdsa!, HashAlgorithmName.SHA256);

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (subjectAltNames is { Length: > 0 })
        {
            request.CertificateExtensions.Add(BuildSubjectAltNames(subjectAltNames));
        }

        var usages = extendedKeyUsages ?? [ServerAuthOid];
        if (usages.Length > 0)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        if (keyUsage is not null)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage.Value, true));
        }

        var from = notBefore ?? LeafNotBefore;
        var to = notAfter ?? LeafNotAfter;
        if (issuer is null)
        {
            return request.CreateSelfSigned(from, to);
        }

        if (addAuthorityKeyIdentifier)
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        }

        // The generator overload lets an ECDSA CA sign an RSA key, and lets a non-CA "issuer" sign for the
        // tests that need a broken chain; the issuer-certificate overload refuses both.
        using var issuerKey = issuer.GetECDsaPrivateKey()
            ?? throw new ArgumentException("Test issuers are ECDSA certificates with their private key.", nameof(issuer));
        return request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, to, NewSerial());
    }

    /// <summary>A leaf with only the given subjectAltName entries and subject, for host name vectors.</summary>
    public static X509Certificate2 CreateForNames(string subjectAltNames, string subject) =>
        CreateLeaf(
            subject: subject.Length == 0 ? "O=SangoPS Tests" : subject,
            subjectAltNames: subjectAltNames.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>The public part only, as a server would present it.</summary>
    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadCertificate(certificate.RawData);

    private static X509Extension BuildSubjectAltNames(string[] entries)
    {
        var builder = new SubjectAlternativeNameBuilder();
        foreach (var entry in entries)
        {
            if (entry.StartsWith("DNS:", StringComparison.Ordinal))
            {
                builder.AddDnsName(entry[4..]);
            }
            else if (entry.StartsWith("IP:", StringComparison.Ordinal))
            {
                builder.AddIpAddress(IPAddress.Parse(entry[3..]));
            }
            else
            {
                throw new ArgumentException($"Unknown subjectAltName entry '{entry}'.", nameof(entries));
            }
        }

        return builder.Build();
    }

    private static void AddCaExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    // A positive serial without a leading zero byte, as DER wants an INTEGER.
    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }
}
