using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Sends what is still queued, closes the connection and forgets the session.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "Sango", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class DisconnectSangoCommand : SangoCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SessionArgumentCompleter))]
    public SangoSession[]? Session { get; set; }

    protected override void ProcessRecord()
    {
        var sessions = Session ?? (SessionRegistry.GetDefault(RunspaceId) is { } current ? [current] : []);
        if (sessions.Length == 0)
        {
            WriteVerbose("There is no session to disconnect.");
            return;
        }

        foreach (var session in sessions)
        {
            if (!ShouldProcess(session.ToString(), "Disconnect"))
            {
                continue;
            }

            try
            {
                var result = Await(session.DisconnectAsync(StopToken), session);
                if (result.Lost > 0)
                {
                    WriteError(SangoErrorRecords.Create(SangoErrorIds.MessagesNotDelivered, ErrorCategory.ConnectionError,
                        $"Session '{session.Name}' closed with {result.Lost} QoS 1/2 message(s) that no broker acknowledged; they were not delivered.",
                        session, "Give Connect-Sango a -SpoolDirectory so undelivered messages are kept and sent by the next session."));
                }
            }
            finally
            {
                SessionRegistry.Remove(session);
            }
        }
    }
}
