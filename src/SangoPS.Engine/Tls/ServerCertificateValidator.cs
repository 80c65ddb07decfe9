using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Sessions;

namespace SangoPS.Tls;

/// <summary>
/// Decides whether a server certificate is acceptable, with SangoPS's own hostname matcher and trust rules, so
/// the verdict and its explanation are the same on every OS. Runs on a network thread: it only records.
/// </summary>
internal sealed class ServerCertificateValidator
{
    private readonly SangoSessionOptions _options;
    private readonly string _expectedHostName;
    private readonly SessionLog _log;

    public ServerCertificateValidator(SangoSessionOptions options, string expectedHostName, SessionLog log)
    {
        _options = options;
        _expectedHostName = expectedHostName;
        _log = log;
    }

    /// <summary>The report of the last certificate seen; the evidence of a refusal.</summary>
    public CertificateReport? LastReport { get; private set; }

    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors platformErrors)
    {
        if (certificate is null)
        {
            _log.Verbose($"The server at {_expectedHostName} sent no certificate.");
            return _options.SkipCertificateCheck;
        }

        using var leaf = new X509Certificate2(certificate);
        var presented = new X509Certificate2Collection();
        if (chain is not null)
        {
            // SslStream puts what the server sent (besides the leaf) into the chain's extra store.
            presented.AddRange(chain.ChainPolicy.ExtraStore);
        }

        var trust = new CertificateTrustOptions { CustomRoots = _options.CaCertificates, CaFilePath = _options.CaFilePath };
        var report = CertificateInspector.Inspect(leaf, _expectedHostName, trust, presented);
        LastReport = report;
        _log.Verbose($"Server certificate: {report.Subject}, issued by {report.Issuer}, valid until {report.NotAfter:yyyy-MM-dd}; " +
                     (report.IsHostNameMatch ? $"'{_expectedHostName}' matched '{report.MatchedName}'." : $"'{_expectedHostName}' did not match."));
        _log.Debug($"Platform TLS verdict (not used for the decision): {platformErrors}.");

        if (_options.SkipCertificateCheck)
        {
            return true;
        }

        return report.IsValid;
    }
}
