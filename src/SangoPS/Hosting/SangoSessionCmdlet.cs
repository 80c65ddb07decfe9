using System.Management.Automation;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Base of the cmdlets that work on a session: -Session (by property name too, unless a cmdlet overrides it),
/// else the runspace's default, else a terminating error that says to run Connect-Sango.
/// </summary>
public abstract class SangoSessionCmdlet : SangoCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SessionArgumentCompleter))]
    public virtual SangoSession? Session { get; set; }

    /// <summary>-Session, else <paramref name="carried"/> (a session the input object carries), else the default.</summary>
    protected SangoSession ResolveSession(SangoSession? carried = null) => Session ?? carried ?? DefaultSessionOrStop();
}
