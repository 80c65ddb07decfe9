using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SangoPS.Tls;

/// <summary>
/// The one host name check of SangoPS (RFC 6125 / RFC 9525), used when connecting and when reporting on a
/// certificate. It is written out here rather than left to the TLS stack so that the answer, and the words
/// explaining it, are the same on Windows, Linux and macOS.
/// </summary>
public static class HostNameMatcher
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string CommonNameOid = "2.5.4.3";

    /// <summary>
    /// Whether one DNS name pattern from a certificate (a subjectAltName DNS entry, or a common name) covers
    /// <paramref name="hostName"/>. An IP address host never matches here: it only matches iPAddress entries.
    /// </summary>
    public static bool MatchesPattern(string pattern, string hostName)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(hostName);

        // A DNS entry spelled "10.0.0.1" must not vouch for the address 10.0.0.1: only an iPAddress entry can.
        if (TryParseIPAddress(hostName, out _))
        {
            return false;
        }

        var hostLabels = ToHostLabels(hostName);
        return hostLabels is not null && MatchesLabels(pattern, hostLabels);
    }

    /// <summary>
    /// Compares <paramref name="hostName"/> (a DNS name or an IP address in any textual form) with the names
    /// of <paramref name="certificate"/> and says which entry matched, or in plain words why none did.
    /// </summary>
    public static HostNameMatchResult Match(X509Certificate2 certificate, string hostName)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(hostName);

        var dnsNames = new List<string>();
        var ipAddresses = new List<IPAddress>();
        var sanError = ReadSubjectAltNames(certificate, dnsNames, ipAddresses);
        var ipTexts = ipAddresses.Select(address => address.ToString()).ToArray();

        if (sanError is not null)
        {
            // A damaged subjectAltName may hide the real names; falling back to the CN would guess, so refuse.
            return new HostNameMatchResult(
                hostName, false, null, dnsNames, ipTexts, false,
                HostNameExplanation.ForUnreadableSubjectAltName(hostName, sanError));
        }

        var commonNames = ReadCommonNames(certificate.SubjectName);

        if (TryParseIPAddress(hostName, out var hostAddress))
        {
            var hostBytes = hostAddress.GetAddressBytes();
            foreach (var address in ipAddresses)
            {
                // Bytes, not text: 0:0:0:0:0:0:0:1 and ::1 are the same address.
                if (address.GetAddressBytes().AsSpan().SequenceEqual(hostBytes))
                {
                    var matched = "IP:" + address;
                    return new HostNameMatchResult(
                        hostName, true, matched, dnsNames, ipTexts, false,
                        HostNameExplanation.ForMatch(hostName, matched, usedCommonName: false));
                }
            }

            return new HostNameMatchResult(
                hostName, false, null, dnsNames, ipTexts, false,
                HostNameExplanation.ForIPAddressMismatch(hostName, hostAddress, dnsNames, ipTexts, commonNames));
        }

        // As curl and OpenSSL do: the common name is a fallback only for certificates without any DNS name.
        var usedCommonName = dnsNames.Count == 0;
        var candidates = usedCommonName ? commonNames : dnsNames;
        var hostLabels = ToHostLabels(hostName);
        if (hostLabels is not null)
        {
            foreach (var candidate in candidates)
            {
                if (MatchesLabels(candidate, hostLabels))
                {
                    return new HostNameMatchResult(
                        hostName, true, candidate, dnsNames, ipTexts, usedCommonName,
                        HostNameExplanation.ForMatch(hostName, candidate, usedCommonName));
                }
            }
        }

        return new HostNameMatchResult(
            hostName, false, null, dnsNames, ipTexts, usedCommonName,
            HostNameExplanation.ForDnsNameMismatch(hostName, hostLabels, dnsNames, ipTexts, commonNames));
    }

    /// <summary>
    /// Reads <paramref name="hostName"/> as an IP address: IPv4 in any form the system resolver also takes
    /// (127.0.0.1, 127.1, 0x7f.0.0.1), IPv6 in any form, with or without brackets.
    /// </summary>
    internal static bool TryParseIPAddress(string hostName, [NotNullWhen(true)] out IPAddress? address)
    {
        var text = hostName;
        if (text.Length > 2 && text[0] == '[' && text[^1] == ']')
        {
            text = text[1..^1];
        }
        else if (text.Length > 1 && text[^1] == '.')
        {
            // "127.0.0.1." is still 127.0.0.1 to a resolver, so it must not become a DNS name here.
            text = text[..^1];
        }

        return IPAddress.TryParse(text, out address);
    }

    /// <summary>
    /// The labels of a host name in lower-case ASCII (IDNs in their xn-- form), or null when it is not a
    /// usable DNS name: empty, an empty label, a character no host name has, or a numeric last label.
    /// </summary>
    /// <param name="mapUnicode">
    /// True for the name being dialled, which a user may type in Unicode (IDNA maps it to its xn-- form). False for
    /// a name from a certificate: certificates carry ASCII only, and mapping theirs would let 'ｌｏｃａｌｈｏｓｔ'
    /// (fullwidth) or 'victim。test' (ideographic full stop) stand for 'localhost' or 'victim.test', which
    /// OpenSSL's host check refuses too.
    /// </param>
    internal static string[]? ToHostLabels(string name, bool mapUnicode = true)
    {
        if (!mapUnicode && !Ascii.IsValid(name))
        {
            return null;
        }

        var ascii = ToAsciiName(name);
        if (ascii is null)
        {
            return null;
        }

        var labels = ascii.Split('.');
        foreach (var label in labels)
        {
            if (label.Length == 0 || !label.All(IsHostNameCharacter))
            {
                return null;
            }
        }

        // No top-level domain is a number, so such a name is an IPv4 address in a spelling IPAddress did not take.
        if (labels[^1].All(char.IsAsciiDigit))
        {
            return null;
        }

        return labels;
    }

    /// <summary>
    /// Splits a certificate name pattern into its labels. Only a whole leftmost "*" label is a wildcard, and it
    /// must be followed by at least two labels, so *.com, *.local, *, f*.example.com and xn--*.example are refused.
    /// </summary>
    internal static bool TryParsePattern(string pattern, out bool isWildcard, [NotNullWhen(true)] out string[]? labels)
    {
        isWildcard = false;
        labels = null;

        var rest = pattern;
        if (pattern.Contains('*', StringComparison.Ordinal))
        {
            if (!pattern.StartsWith("*.", StringComparison.Ordinal) || pattern.IndexOf('*', 1) >= 0)
            {
                return false;
            }

            isWildcard = true;
            rest = pattern[2..];
        }

        var restLabels = ToHostLabels(rest, mapUnicode: false);
        if (restLabels is null || (isWildcard && restLabels.Length < 2))
        {
            return false;
        }

        labels = restLabels;
        return true;
    }

    private static bool MatchesLabels(string pattern, string[] hostLabels)
    {
        if (!TryParsePattern(pattern, out var isWildcard, out var patternLabels))
        {
            return false;
        }

        // The wildcard stands for exactly one label: never none (the bare parent) and never two.
        if (hostLabels.Length != patternLabels.Length + (isWildcard ? 1 : 0))
        {
            return false;
        }

        var hostRest = isWildcard ? hostLabels.AsSpan(1) : hostLabels.AsSpan();
        for (var i = 0; i < patternLabels.Length; i++)
        {
            if (!string.Equals(patternLabels[i], hostRest[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string? ToAsciiName(string name)
    {
        // One trailing dot only marks a fully qualified name; a second one would leave an empty label.
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.Length == 0)
        {
            return null;
        }

        if (!Ascii.IsValid(name))
        {
            try
            {
                // Certificates carry internationalised names in their xn-- form, so the host must be compared in it too.
                name = new IdnMapping().GetAscii(name);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        return name.ToLowerInvariant();
    }

    private static bool IsHostNameCharacter(char c) =>
        char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' || c == '_';

    private static string? ReadSubjectAltNames(X509Certificate2 certificate, List<string> dnsNames, List<IPAddress> ipAddresses)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            try
            {
                var san = extension as X509SubjectAlternativeNameExtension
                    ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
                dnsNames.AddRange(san.EnumerateDnsNames());
                ipAddresses.AddRange(san.EnumerateIPAddresses());
                return null;
            }
            catch (CryptographicException exception)
            {
                dnsNames.Clear();
                ipAddresses.Clear();
                return exception.Message;
            }
        }

        return null;
    }

    private static List<string> ReadCommonNames(X500DistinguishedName subject)
    {
        var commonNames = new List<string>();
        foreach (var rdn in subject.EnumerateRelativeDistinguishedNames())
        {
            // Multi-valued RDNs are not how any CA writes a CN; skipping them avoids guessing which value is meant.
            if (rdn.HasMultipleElements || rdn.GetSingleElementType().Value != CommonNameOid)
            {
                continue;
            }

            var value = rdn.GetSingleElementValue();
            if (!string.IsNullOrEmpty(value))
            {
                commonNames.Add(value);
            }
        }

        return commonNames;
    }
}
