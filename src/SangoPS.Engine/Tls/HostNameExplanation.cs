using System.Net;

namespace SangoPS.Tls;

/// <summary>
/// Plain-words sentences for <see cref="HostNameMatcher"/>: a failed TLS connection is mostly fixed by reading
/// which names the certificate has and why the host is not one of them, so each common mistake gets a hint.
/// </summary>
internal static class HostNameExplanation
{
    private const string WildcardRule =
        "a wildcard must be the whole leftmost label and be followed by at least two labels, so entries such as *.com, *.local or f*.example.com never match";

    public static string ForMatch(string hostName, string matchedName, bool usedCommonName) =>
        usedCommonName
            ? $"The certificate is for {hostName} through its subject common name {matchedName} (used because the certificate has no DNS names in its subjectAltName)."
            : $"The certificate is for {hostName} through its entry {matchedName}.";

    public static string ForUnreadableSubjectAltName(string hostName, string error) =>
        $"The certificate's subjectAltName extension could not be read ({error.Trim()}), so it cannot be checked against the host name {hostName}.";

    public static string ForIPAddressMismatch(
        string hostName,
        IPAddress hostAddress,
        IReadOnlyList<string> dnsNames,
        IReadOnlyList<string> ipAddresses,
        IReadOnlyList<string> commonNames)
    {
        // DNS: in front of DNS names here, so that a DNS entry "127.0.0.1" is not read as the address itself.
        var sentences = new List<string> { Opening(hostName, hostName, dnsNames.Select(name => "DNS:" + name).ToList(), ipAddresses, commonNames) };

        sentences.Add(ipAddresses.Count == 0
            ? $"An IP address is only matched by an IP entry in the certificate's subjectAltName, and this certificate has none: connect with one of its DNS names, or reissue the certificate with IP:{hostAddress} in its subjectAltName."
            : "An IP address is only matched by an IP entry in the certificate's subjectAltName, never by a DNS name, a wildcard or the common name.");

        foreach (var dnsName in dnsNames)
        {
            if (HostNameMatcher.TryParseIPAddress(dnsName, out var written) && written.Equals(hostAddress))
            {
                sentences.Add($"{dnsName} is written on the certificate as a DNS name, which never matches an IP address; it must be listed as IP:{hostAddress}.");
                break;
            }
        }

        return string.Join(' ', sentences);
    }

    public static string ForDnsNameMismatch(
        string hostName,
        string[]? hostLabels,
        IReadOnlyList<string> dnsNames,
        IReadOnlyList<string> ipAddresses,
        IReadOnlyList<string> commonNames)
    {
        if (hostLabels is null)
        {
            return $"The host name expected was '{hostName}', which is neither a valid DNS name nor an IP address, so no certificate can match it.";
        }

        var asciiHost = string.Join('.', hostLabels);
        var shownHost = string.Equals(asciiHost, hostName.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
            ? hostName
            : $"{hostName} ({asciiHost})";
        var sentences = new List<string> { Opening(hostName, shownHost, dnsNames, ipAddresses, commonNames) };

        var usedCommonName = dnsNames.Count == 0;
        var candidates = usedCommonName ? commonNames : dnsNames;
        foreach (var candidate in candidates)
        {
            var hint = WildcardHint(candidate, hostLabels);
            if (hint is not null && !sentences.Contains(hint))
            {
                sentences.Add(hint);
            }
        }

        if (!usedCommonName)
        {
            foreach (var commonName in commonNames)
            {
                if (HostNameMatcher.MatchesPattern(commonName, hostName))
                {
                    sentences.Add($"The subject common name {commonName} would match, but it is ignored because the certificate has DNS names in its subjectAltName; the host name must be one of them.");
                    break;
                }
            }
        }

        return string.Join(' ', sentences);
    }

    private static string Opening(
        string hostName,
        string shownHost,
        IReadOnlyList<string> dnsNames,
        IReadOnlyList<string> ipAddresses,
        IReadOnlyList<string> commonNames)
    {
        var names = new List<string>(dnsNames);
        if (dnsNames.Count == 0)
        {
            names.AddRange(commonNames.Select(commonName => $"{commonName} (subject common name)"));
        }

        names.AddRange(ipAddresses.Select(address => "IP:" + address));

        return names.Count == 0
            ? $"The certificate names no host at all (no subjectAltName entries and no subject common name), so it cannot match the host name {hostName}."
            : $"The certificate is for {string.Join(", ", names)} but the host name expected was {shownHost}.";
    }

    private static string? WildcardHint(string pattern, string[] hostLabels)
    {
        if (!HostNameMatcher.TryParsePattern(pattern, out var isWildcard, out var patternLabels))
        {
            return pattern.Contains('*', StringComparison.Ordinal)
                ? $"{pattern} is a wildcard that is never accepted: {WildcardRule}."
                : null;
        }

        if (!isWildcard || hostLabels.Length == patternLabels.Length + 1 || hostLabels.Length < patternLabels.Length)
        {
            return null;
        }

        // Only worth saying when the host sits under the wildcard's parent: then the label count is the mistake.
        var offset = hostLabels.Length - patternLabels.Length;
        if (!hostLabels.AsSpan(offset).SequenceEqual(patternLabels))
        {
            return null;
        }

        var parent = pattern[2..].TrimEnd('.');
        return offset == 0
            ? $"A wildcard covers exactly one label: {pattern} matches x.{parent} but not {parent} itself."
            : $"A wildcard covers exactly one label: {pattern} matches x.{parent} but not {string.Join('.', hostLabels)} or {parent}.";
    }
}
