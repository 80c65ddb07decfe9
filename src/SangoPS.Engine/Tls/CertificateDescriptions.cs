using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SangoPS.Tls;

/// <summary>
/// Short, stable names for what a certificate carries. Read from the DER rather than from OS friendly names,
/// which differ between Windows, OpenSSL and macOS.
/// </summary>
internal static class CertificateDescriptions
{
    private static readonly Dictionary<string, string> CurveNames = new(StringComparer.Ordinal)
    {
        ["1.2.840.10045.3.1.7"] = "P-256",
        ["1.3.132.0.34"] = "P-384",
        ["1.3.132.0.35"] = "P-521",
        ["1.3.36.3.3.2.8.1.1.7"] = "brainpoolP256r1",
        ["1.3.36.3.3.2.8.1.1.11"] = "brainpoolP384r1",
        ["1.3.36.3.3.2.8.1.1.13"] = "brainpoolP512r1",
    };

    private static readonly Dictionary<string, string> SignatureNames = new(StringComparer.Ordinal)
    {
        ["1.2.840.113549.1.1.4"] = "md5RSA",
        ["1.2.840.113549.1.1.5"] = "sha1RSA",
        ["1.2.840.113549.1.1.10"] = "RSASSA-PSS",
        ["1.2.840.113549.1.1.11"] = "sha256RSA",
        ["1.2.840.113549.1.1.12"] = "sha384RSA",
        ["1.2.840.113549.1.1.13"] = "sha512RSA",
        ["1.2.840.10045.4.1"] = "sha1ECDSA",
        ["1.2.840.10045.4.3.2"] = "sha256ECDSA",
        ["1.2.840.10045.4.3.3"] = "sha384ECDSA",
        ["1.2.840.10045.4.3.4"] = "sha512ECDSA",
        ["1.3.101.112"] = "Ed25519",
        ["1.3.101.113"] = "Ed448",
    };

    private static readonly Dictionary<string, string> UsageNames = new(StringComparer.Ordinal)
    {
        ["1.3.6.1.5.5.7.3.1"] = "serverAuth",
        ["1.3.6.1.5.5.7.3.2"] = "clientAuth",
        ["1.3.6.1.5.5.7.3.3"] = "codeSigning",
        ["1.3.6.1.5.5.7.3.4"] = "emailProtection",
        ["1.3.6.1.5.5.7.3.8"] = "timeStamping",
        ["1.3.6.1.5.5.7.3.9"] = "OCSPSigning",
        ["2.5.29.37.0"] = "anyExtendedKeyUsage",
    };

    /// <summary>For example <c>ECDSA P-256</c>, <c>RSA 2048</c> or <c>Ed25519</c>.</summary>
    public static string KeyAlgorithm(X509Certificate2 certificate)
    {
        var publicKey = certificate.PublicKey;
        switch (publicKey.Oid.Value)
        {
            case "1.2.840.10045.2.1":
                // .NET 10 declares EncodedParameters nullable; an EC key always has its curve parameters.
                return "ECDSA " + CurveName(publicKey.EncodedParameters?.RawData ?? []);
            case "1.2.840.113549.1.1.1":
            case "1.2.840.113549.1.1.10":
                var bits = RsaModulusBits(publicKey.EncodedKeyValue.RawData);
                return bits > 0 ? "RSA " + bits.ToString(CultureInfo.InvariantCulture) : "RSA";
            case "1.3.101.112":
                return "Ed25519";
            case "1.3.101.113":
                return "Ed448";
            case "1.2.840.10040.4.1":
                return "DSA";
            default:
                return publicKey.Oid.FriendlyName ?? publicKey.Oid.Value ?? "unknown";
        }
    }

    /// <summary>For example <c>sha256ECDSA</c> or <c>sha256RSA</c> (the names Windows shows).</summary>
    public static string SignatureAlgorithm(X509Certificate2 certificate)
    {
        var oid = certificate.SignatureAlgorithm;
        return oid.Value is not null && SignatureNames.TryGetValue(oid.Value, out var name)
            ? name
            : oid.FriendlyName ?? oid.Value ?? "unknown";
    }

    /// <summary>An extended key usage by its RFC 5280 name, with the OID when it has none here.</summary>
    public static string UsageName(Oid usage) =>
        usage.Value is not null && UsageNames.TryGetValue(usage.Value, out var name)
            ? name
            : usage.FriendlyName ?? usage.Value ?? "unknown";

    /// <summary>Key usage flags by their RFC 5280 names, for example <c>keyCertSign, cRLSign</c>.</summary>
    public static string KeyUsageNames(X509KeyUsageFlags flags)
    {
        var names = new List<string>();
        AddIfSet(names, flags, X509KeyUsageFlags.DigitalSignature, "digitalSignature");
        AddIfSet(names, flags, X509KeyUsageFlags.NonRepudiation, "nonRepudiation");
        AddIfSet(names, flags, X509KeyUsageFlags.KeyEncipherment, "keyEncipherment");
        AddIfSet(names, flags, X509KeyUsageFlags.DataEncipherment, "dataEncipherment");
        AddIfSet(names, flags, X509KeyUsageFlags.KeyAgreement, "keyAgreement");
        AddIfSet(names, flags, X509KeyUsageFlags.KeyCertSign, "keyCertSign");
        AddIfSet(names, flags, X509KeyUsageFlags.CrlSign, "cRLSign");
        AddIfSet(names, flags, X509KeyUsageFlags.EncipherOnly, "encipherOnly");
        AddIfSet(names, flags, X509KeyUsageFlags.DecipherOnly, "decipherOnly");
        return names.Count == 0 ? "empty" : string.Join(", ", names);
    }

    /// <summary>A UTC date as every message writes it, independent of the user's culture.</summary>
    public static string FormatUtc(DateTime time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static void AddIfSet(List<string> names, X509KeyUsageFlags flags, X509KeyUsageFlags flag, string name)
    {
        if ((flags & flag) != 0)
        {
            names.Add(name);
        }
    }

    private static string CurveName(byte[] encodedParameters)
    {
        try
        {
            var oid = AsnDecoder.ReadObjectIdentifier(encodedParameters, AsnEncodingRules.DER, out _);
            return CurveNames.TryGetValue(oid, out var name) ? name : new Oid(oid).FriendlyName ?? oid;
        }
        catch (AsnContentException)
        {
            // Explicit curve parameters instead of a named curve: legal but rare, and nothing to name.
            return "(explicit curve)";
        }
    }

    private static int RsaModulusBits(byte[] encodedKey)
    {
        try
        {
            var reader = new AsnReader(encodedKey, AsnEncodingRules.DER).ReadSequence();
            var modulus = reader.ReadIntegerBytes().Span;
            while (modulus.Length > 0 && modulus[0] == 0)
            {
                modulus = modulus[1..];
            }

            if (modulus.Length == 0)
            {
                return 0;
            }

            var topBits = 8 - byte.LeadingZeroCount(modulus[0]);
            return ((modulus.Length - 1) * 8) + topBits;
        }
        catch (AsnContentException)
        {
            return 0;
        }
    }
}
