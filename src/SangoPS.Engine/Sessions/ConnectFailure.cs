using SangoPS.Errors;
using SangoPS.Transport;

namespace SangoPS.Sessions;

/// <summary>
/// The error of a connect that no endpoint accepted: one line per endpoint with its own reason, under the error
/// id of the most actionable failure (a refused certificate or password beats "not reachable").
/// </summary>
internal static class ConnectFailure
{
    public static SangoException From(IReadOnlyList<EndpointAttemptFailure> failures)
    {
        if (failures.Count == 1)
        {
            var only = failures[0];
            return new SangoException(only.ErrorId, only.Kind, $"Could not connect to {only.Endpoint}: {only.Reason}",
                only.Target ?? only.Endpoint.ToString(), RecommendedAction(only.ErrorId));
        }

        // The most actionable failure names the error: a refused certificate or password beats "not reachable".
        var decisive = failures.FirstOrDefault(f => f.ErrorId == SangoErrorIds.CertificateValidationFailed)
            ?? failures.FirstOrDefault(f => f.ErrorId == SangoErrorIds.AuthenticationFailed);
        var sameKind = failures.All(f => f.ErrorId == failures[0].ErrorId);
        var errorId = decisive?.ErrorId ?? (sameKind ? failures[0].ErrorId : SangoErrorIds.ConnectFailed);
        var kind = decisive?.Kind ?? (sameKind ? failures[0].Kind : SangoErrorKind.ConnectionError);
        var lines = string.Join(Environment.NewLine, failures.Select(f => $"  {f.Endpoint}: {f.Reason}"));
        return new SangoException(errorId, kind,
            $"Could not connect to any of the {failures.Count} endpoints:{Environment.NewLine}{lines}",
            decisive?.Target ?? failures.Select(f => f.Endpoint.ToString()).ToArray(), RecommendedAction(errorId));
    }

    private static string RecommendedAction(string errorId) => errorId switch
    {
        SangoErrorIds.AuthenticationFailed => "Check the user name and password given with -Credential.",
        SangoErrorIds.CertificateValidationFailed => "Read the problems listed; pass the issuing CA with -CaFile, connect by a name the certificate is for (or -TlsServerName), or as a last resort -SkipCertificateCheck.",
        SangoErrorIds.ConnectTimeout => "Check that the broker runs and that a firewall lets the port through, or raise -TimeoutSeconds.",
        _ => "Check the endpoint's host name and port and that the broker is running.",
    };
}
