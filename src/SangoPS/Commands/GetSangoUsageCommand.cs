using System.Management.Automation;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Shows what sessions have sent and received (messages, samples, bytes, failures): the default session, the
/// sessions given, or every open session of the runspace with -All.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SangoUsage", DefaultParameterSetName = SessionSet)]
[OutputType(typeof(SangoUsage))]
public sealed class GetSangoUsageCommand : SangoCmdlet
{
    private const string SessionSet = "Session";
    private const string AllSet = "All";

    [Parameter(Position = 0, ParameterSetName = SessionSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SessionArgumentCompleter))]
    public SangoSession[]? Session { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        if (All)
        {
            foreach (var session in SessionRegistry.GetAll(CurrentRunspace))
            {
                WriteObject(session.GetUsage());
            }

            return;
        }

        foreach (var session in Session ?? [DefaultSessionOrStop()])
        {
            WriteObject(session.GetUsage());
        }
    }
}
