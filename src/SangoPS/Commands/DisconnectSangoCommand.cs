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
        if (Session is null && MyInvocation.ExpectingInput)
        {
            // `$null | Disconnect-Sango` (an empty variable piped in) names no session: closing the default one
            // instead would be a surprise that loses the user's connection.
            WriteVerbose("The pipeline gave no session ($null); nothing was disconnected.");
            return;
        }

        var sessions = Session ?? (SessionRegistry.GetDefault(CurrentRunspace) is { } current ? [current] : []);
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
                var remaining = DrainWithProgress(session);
                var result = Await(session.DisconnectAsync(StopToken, remaining), session);
                if (result.Lost > 0)
                {
                    WriteError(SangoErrorRecords.Create(SangoErrorIds.MessagesNotDelivered, ErrorCategory.ConnectionError,
                        $"Session '{session.Name}' closed with {result.Lost} QoS 1/2 message(s) that no broker acknowledged; they were not delivered.",
                        session, session.SpoolDirectory is null
                            ? "Give Connect-Sango a -SpoolDirectory so undelivered messages are kept and sent by the next session."
                            : $"They could not be written to the spool {session.SpoolDirectory} (the warning says why): free space on its drive or fix its permissions."));
                }
            }
            finally
            {
                SessionRegistry.Remove(session);
            }
        }
    }

    /// <summary>
    /// Shows how the session's queue (including messages sent from a spool) empties before the connection
    /// closes, for at most the session's timeout; returns what is left of that time for the final wait.
    /// </summary>
    private TimeSpan DrainWithProgress(SangoSession session)
    {
        var limit = TimeSpan.FromSeconds(session.TimeoutSeconds);
        var total = session.QueuedMessages;
        if (total == 0)
        {
            return limit;
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var progress = new ProgressRecord(3, "Disconnect-Sango", $"Sending the {total:N0} message(s) still queued in session '{session.Name}'");
        while (session.QueuedMessages > 0 && watch.Elapsed < limit)
        {
            var left = session.QueuedMessages;
            progress.PercentComplete = (int)(100L * Math.Max(0, total - left) / Math.Max(total, left));
            progress.StatusDescription = $"{left:N0} left{(session.IsConnected ? string.Empty : " (waiting for the connection)")}";
            ReportProgress(progress);
            WriteLog(session);
            if (StopToken.WaitHandle.WaitOne(100))
            {
                throw new PipelineStoppedException();
            }
        }

        progress.RecordType = ProgressRecordType.Completed;
        ReportProgress(progress);
        return limit > watch.Elapsed ? limit - watch.Elapsed : TimeSpan.Zero;
    }
}
