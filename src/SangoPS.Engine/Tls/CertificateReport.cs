using System.Globalization;

namespace SangoPS.Tls;

/// <summary>
/// Everything checked about one server certificate: its names, dates, key and trust, each failed check as a plain
/// sentence in <see cref="Problems"/>. Made by <see cref="CertificateInspector"/>; the endpoint fields are filled in
/// when the certificate came from a live TLS handshake.
/// </summary>
public sealed class CertificateReport
{
    internal CertificateReport()
    {
    }

    /// <summary>The certificate's subject distinguished name.</summary>
    public string Subject { get; internal init; } = string.Empty;

    /// <summary>The distinguished name of the CA that issued the certificate.</summary>
    public string Issuer { get; internal init; } = string.Empty;

    /// <summary>The DNS names of the subjectAltName extension.</summary>
    public string[] DnsNames { get; internal init; } = [];

    /// <summary>The IP addresses of the subjectAltName extension.</summary>
    public string[] IPAddresses { get; internal init; } = [];

    /// <summary>Start of the validity period, in UTC.</summary>
    public DateTime NotBefore { get; internal init; }

    /// <summary>End of the validity period, in UTC.</summary>
    public DateTime NotAfter { get; internal init; }

    /// <summary>Whole days left until <see cref="NotAfter"/>; negative once expired.</summary>
    public int DaysRemaining { get; internal init; }

    /// <summary>The public key, for example <c>ECDSA P-256</c> or <c>RSA 2048</c>.</summary>
    public string KeyAlgorithm { get; internal init; } = string.Empty;

    /// <summary>How the issuer signed the certificate, for example <c>sha256ECDSA</c> or <c>sha256RSA</c>.</summary>
    public string SignatureAlgorithm { get; internal init; } = string.Empty;

    /// <summary>The SHA-1 thumbprint in hex, as Windows certificate stores show it.</summary>
    public string Thumbprint { get; internal init; } = string.Empty;

    /// <summary>The host name the certificate was checked against.</summary>
    public string HostName { get; internal init; } = string.Empty;

    /// <summary>The certificate entry that matched <see cref="HostName"/>, or null.</summary>
    public string? MatchedName { get; internal init; }

    /// <summary>True when the certificate covers <see cref="HostName"/>.</summary>
    public bool IsHostNameMatch { get; internal init; }

    /// <summary>True when the certificate chains to a trusted root with no chain error.</summary>
    public bool IsTrusted { get; internal init; }

    /// <summary>True when the check time lies within the validity period.</summary>
    public bool IsTimeValid { get; internal init; }

    /// <summary>True when every check passed, so a TLS connection to <see cref="HostName"/> would accept the certificate.</summary>
    public bool IsValid { get; internal init; }

    /// <summary>One plain sentence for each failed check; empty when the certificate is valid.</summary>
    public string[] Problems { get; internal init; } = [];

    /// <summary>The host and port the certificate was fetched from (endpoint mode), or null.</summary>
    public string? Endpoint { get; internal set; }

    /// <summary>The TLS version that was negotiated (endpoint mode), or null.</summary>
    public string? TlsProtocol { get; internal set; }

    /// <summary>The cipher suite that was negotiated (endpoint mode), or null.</summary>
    public string? CipherSuite { get; internal set; }

    /// <summary>The subjects of the certificate chain, leaf first, as far as it could be built.</summary>
    public string[] Chain { get; internal set; } = [];

    /// <summary>One line: subject, host, and valid or the number of problems.</summary>
    public override string ToString()
    {
        var verdict = IsValid
            ? "valid"
            : string.Create(CultureInfo.InvariantCulture, $"invalid, {Problems.Length} problem{(Problems.Length == 1 ? string.Empty : "s")}");
        return $"{Subject} for {HostName}: {verdict}";
    }
}
