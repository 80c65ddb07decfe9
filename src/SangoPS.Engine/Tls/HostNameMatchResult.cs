namespace SangoPS.Tls;

/// <summary>
/// What <see cref="HostNameMatcher.Match"/> found when it compared a certificate with a host name,
/// kept whole so that a connection error and a certificate report can tell the same story.
/// </summary>
public sealed class HostNameMatchResult
{
    internal HostNameMatchResult(
        string hostName,
        bool isMatch,
        string? matchedName,
        IReadOnlyList<string> dnsNames,
        IReadOnlyList<string> ipAddresses,
        bool usedCommonName,
        string explanation)
    {
        HostName = hostName;
        IsMatch = isMatch;
        MatchedName = matchedName;
        DnsNames = dnsNames;
        IPAddresses = ipAddresses;
        UsedCommonName = usedCommonName;
        Explanation = explanation;
    }

    /// <summary>The host name (or IP address) the certificate was checked against, as the caller gave it.</summary>
    public string HostName { get; }

    /// <summary>True when one entry of the certificate covers the host name.</summary>
    public bool IsMatch { get; }

    /// <summary>The certificate entry that matched, as written on the certificate (for example <c>*.sango.test</c> or <c>IP:127.0.0.1</c>); null when nothing matched.</summary>
    public string? MatchedName { get; }

    /// <summary>The DNS names of the subjectAltName extension, in certificate order.</summary>
    public IReadOnlyList<string> DnsNames { get; }

    /// <summary>The IP addresses of the subjectAltName extension, in their usual text form.</summary>
    public IReadOnlyList<string> IPAddresses { get; }

    /// <summary>
    /// True when the subject common name was compared because the certificate has no DNS name in its subjectAltName
    /// (never for IP address hosts).
    /// </summary>
    public bool UsedCommonName { get; }

    /// <summary>Plain words saying why the certificate does or does not cover the host name.</summary>
    public string Explanation { get; }

    /// <inheritdoc />
    public override string ToString() => Explanation;
}
