using System.Security.Cryptography.X509Certificates;

namespace SangoPS.Tls;

/// <summary>
/// Checks one server certificate the way a SangoPS connection would (host name, dates, trust, server usage) and
/// reports every failed check in plain words, so a user sees all that is wrong at once instead of one TLS error.
/// </summary>
public static class CertificateInspector
{
    /// <summary>
    /// Inspects <paramref name="leaf"/> for a connection to <paramref name="hostName"/>.
    /// </summary>
    /// <param name="leaf">The server's own certificate.</param>
    /// <param name="hostName">The host name or IP address the client connects to.</param>
    /// <param name="trust">The CA certificates to trust, or the system store.</param>
    /// <param name="presentedChain">Certificates the server sent along (intermediates); the leaf may be among them.</param>
    /// <param name="now">The time to check against; the current time when null.</param>
    public static CertificateReport Inspect(
        X509Certificate2 leaf,
        string hostName,
        CertificateTrustOptions trust,
        X509Certificate2Collection? presentedChain = null,
        DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(hostName);
        ArgumentNullException.ThrowIfNull(trust);

        var checkTime = now ?? DateTimeOffset.UtcNow;
        var problems = new List<string>();

        var match = HostNameMatcher.Match(leaf, hostName);
        if (!match.IsMatch)
        {
            problems.Add(match.Explanation);
        }

        var nowUtc = checkTime.UtcDateTime;
        var notBefore = leaf.NotBefore.ToUniversalTime();
        var notAfter = leaf.NotAfter.ToUniversalTime();
        var timeProblem = CheckTime(notBefore, notAfter, nowUtc);
        if (timeProblem is not null)
        {
            problems.Add(timeProblem);
        }

        problems.AddRange(ServerUsageCheck.FindProblems(leaf));

        var chain = ChainTrustCheck.Check(leaf, trust, presentedChain, checkTime);
        problems.AddRange(chain.Problems);

        return new CertificateReport
        {
            Subject = leaf.Subject,
            Issuer = leaf.Issuer,
            DnsNames = [.. match.DnsNames],
            IPAddresses = [.. match.IPAddresses],
            NotBefore = notBefore,
            NotAfter = notAfter,
            DaysRemaining = WholeDays(notAfter - nowUtc),
            KeyAlgorithm = CertificateDescriptions.KeyAlgorithm(leaf),
            SignatureAlgorithm = CertificateDescriptions.SignatureAlgorithm(leaf),
            Thumbprint = leaf.Thumbprint,
            HostName = hostName,
            MatchedName = match.MatchedName,
            IsHostNameMatch = match.IsMatch,
            IsTrusted = chain.IsTrusted,
            IsTimeValid = timeProblem is null,
            IsValid = problems.Count == 0,
            Problems = [.. problems],
            Chain = chain.Chain,
        };
    }

    private static string? CheckTime(DateTime notBefore, DateTime notAfter, DateTime now)
    {
        var period = $"it is valid from {CertificateDescriptions.FormatUtc(notBefore)} to {CertificateDescriptions.FormatUtc(notAfter)}, and today is {CertificateDescriptions.FormatUtc(now)}";

        if (now < notBefore)
        {
            return $"The certificate is not valid yet: {period}. Check the clock of this computer, and of the machine that issued the certificate.";
        }

        if (now > notAfter)
        {
            var days = WholeDays(now - notAfter);
            var ago = days switch
            {
                0 => "less than a day ago",
                1 => "1 day ago",
                _ => $"{days} days ago",
            };
            return $"The certificate expired on {CertificateDescriptions.FormatUtc(notAfter)} ({ago}): {period}. The broker needs a renewed certificate.";
        }

        return null;
    }

    private static int WholeDays(TimeSpan span) => (int)Math.Floor(span.TotalDays);
}
