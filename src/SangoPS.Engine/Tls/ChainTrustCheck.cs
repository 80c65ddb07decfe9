using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SangoPS.Tls;

/// <summary>
/// Builds the certificate chain the way a connection would (custom roots from -CaFile, or the system store) and
/// turns each chain status into a sentence that says what to do, mostly: which CA certificate -CaFile needs.
/// </summary>
internal static class ChainTrustCheck
{
    private const string CaFileHint = "-CaFile <path>";

    public static ChainTrustResult Check(
        X509Certificate2 leaf,
        CertificateTrustOptions trust,
        X509Certificate2Collection? presentedChain,
        DateTimeOffset now)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;

        // There is no network to fetch CRLs or OCSP answers from, and a broker's private CA rarely publishes them.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;

        if (trust.CustomRoots is not null)
        {
            // Custom roots replace the system store, exactly as -CaFile does for the connection.
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(trust.CustomRoots);
        }

        if (presentedChain is not null)
        {
            foreach (var certificate in presentedChain)
            {
                if (!certificate.RawData.AsSpan().SequenceEqual(leaf.RawData))
                {
                    policy.ExtraStore.Add(certificate);
                }
            }
        }

        try
        {
            chain.Build(leaf);
        }
        catch (CryptographicException exception)
        {
            return new ChainTrustResult(false, [leaf.Subject], [$"The certificate chain could not be built: {exception.Message}"]);
        }

        // The chain element certificates are left to the garbage collector: on some platforms they can be the very
        // instances passed in, which the caller still owns.
        var elements = chain.ChainElements;
        var subjects = new string[elements.Count];
        var problems = new List<string>();
        var seenFlags = X509ChainStatusFlags.NoError;
        var source = TrustSource(trust);

        for (var i = 0; i < elements.Count; i++)
        {
            var element = elements[i];
            subjects[i] = element.Certificate.Subject;
            foreach (var status in element.ChainElementStatus)
            {
                seenFlags |= status.Status;

                // The leaf's own dates are reported by the time check, with the dates spelled out.
                if (status.Status == X509ChainStatusFlags.NoError || (i == 0 && status.Status == X509ChainStatusFlags.NotTimeValid))
                {
                    continue;
                }

                AddOnce(problems, Describe(status, element.Certificate, leaf, elements.Count, source, now));
            }
        }

        // Some platforms put a status (notably PartialChain) only on the chain, not on an element.
        foreach (var status in chain.ChainStatus)
        {
            if (status.Status == X509ChainStatusFlags.NoError || (seenFlags & status.Status) == status.Status)
            {
                continue;
            }

            var last = elements.Count > 0 ? elements[^1].Certificate : leaf;
            AddOnce(problems, Describe(status, last, leaf, elements.Count, source, now));
        }

        return new ChainTrustResult(problems.Count == 0, subjects, [.. problems]);
    }

    private static string Describe(
        X509ChainStatus status,
        X509Certificate2 certificate,
        X509Certificate2 leaf,
        int chainLength,
        string source,
        DateTimeOffset now)
    {
        switch (status.Status)
        {
            case X509ChainStatusFlags.UntrustedRoot when chainLength <= 1 && IsSelfIssued(leaf):
                return $"The certificate is self-signed: {leaf.Subject} issued it to itself, so no CA vouches for it, and it is not in {source}. If you trust this broker, pass its certificate (or the CA that signed it) with {CaFileHint}.";

            case X509ChainStatusFlags.UntrustedRoot:
                return $"The certificate's issuer {certificate.Subject} is not trusted: it is not in {source}. Pass the issuing CA's certificate with {CaFileHint}.";

            case X509ChainStatusFlags.PartialChain:
                return $"The certificate chain is incomplete: {certificate.Subject} was issued by {certificate.Issuer}, which is not trusted because its certificate was neither sent by the server nor found in {source}. Pass the issuing CA's certificate with {CaFileHint}; if {certificate.Issuer} is an intermediate CA, put it in that file too, or have the server send it.";

            case X509ChainStatusFlags.NotTimeValid:
                return $"The CA certificate {certificate.Subject} is outside its validity period: it is valid from {CertificateDescriptions.FormatUtc(certificate.NotBefore)} to {CertificateDescriptions.FormatUtc(certificate.NotAfter)}, and today is {CertificateDescriptions.FormatUtc(now.UtcDateTime)}.";

            case X509ChainStatusFlags.NotSignatureValid:
                return $"The signature on {certificate.Subject} does not verify with its issuer's key: the certificate was altered, or a different CA certificate with the same name was used.";

            case X509ChainStatusFlags.InvalidBasicConstraints:
                return $"{certificate.Subject} is used as a CA in the chain, but its basic constraints do not allow it to issue certificates.";

            case X509ChainStatusFlags.Revoked:
                return $"{certificate.Subject} has been revoked by its CA.";

            case X509ChainStatusFlags.ExplicitDistrust:
                return $"{certificate.Subject} is explicitly distrusted on this computer.";

            case X509ChainStatusFlags.NotValidForUsage:
                return $"{certificate.Subject} is not valid for the usage the chain requires (see its extended key usage).";

            case X509ChainStatusFlags.HasWeakSignature:
                return $"{certificate.Subject} is signed with a weak algorithm (such as MD5 or SHA-1) that TLS clients refuse.";

            default:
                var information = status.StatusInformation.Trim();
                return $"{certificate.Subject}: {(information.Length > 0 ? information : status.Status.ToString())}.".Replace("..", ".", StringComparison.Ordinal);
        }
    }

    private static string TrustSource(CertificateTrustOptions trust) =>
        trust.CustomRoots is null
            ? "this computer's trusted root store"
            : trust.CaFilePath is not null
                ? $"the CA file {trust.CaFilePath}"
                : "the list of CA certificates given";

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static void AddOnce(List<string> problems, string problem)
    {
        if (!problems.Contains(problem))
        {
            problems.Add(problem);
        }
    }
}
