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
    public virtual SangoSession? Session { get; set; }

    /// <summary>-Session, else <paramref name="carried"/> (a session the input object carries), else the default.</summary>
    protected SangoSession ResolveSession(SangoSession? carried = null)
    {
        var session = Session ?? carried ?? SessionRegistry.GetDefault(RunspaceId);
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
