using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Base of the cmdlets that work on a session: -Session (also by property name), else the runspace's default,
/// else a terminating error that says to run Connect-Sango.
/// </summary>
public abstract class SangoSessionCmdlet : SangoCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SessionArgumentCompleter))]
    public SangoSession? Session { get; set; }

    protected SangoSession ResolveSession()
    {
        var session = Session ?? SessionRegistry.GetDefault(RunspaceId);
        if (session is null)
        {
            ThrowSangoError(NoSession());
        }

        return session!;
    }

    /// <summary>The error of a session cmdlet run before any Connect-Sango.</summary>
    internal static SangoException NoSession() =>
        new(SangoErrorIds.NoSession, SangoErrorKind.InvalidOperation,
            "There is no SangoPS session: run Connect-Sango first (or pass a session with -Session).", null,
            "Run Connect-Sango -Endpoint <broker> -Credential (Get-Credential), then run this command again.");
}
