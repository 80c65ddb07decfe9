using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SangoPS.Errors;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Base of every SangoPS cmdlet: a stop token cancelled by Ctrl+C (StopProcessing only signals), blocking waits
/// on library tasks that honour it, and the draining of a session's log into the verbose, warning and debug
/// streams, always on the pipeline thread.
/// </summary>
public abstract class SangoCmdlet : PSCmdlet, IDisposable
{
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(50);
    private readonly CancellationTokenSource _stop = new();
    private bool _disposed;

    protected CancellationToken StopToken => _stop.Token;

    /// <summary>The runspace whose default session this cmdlet uses.</summary>
    protected static Guid RunspaceId => Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _stop.Dispose();
        }

        _disposed = true;
    }

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Blocks the pipeline thread until the task ends, writing the session's log meanwhile.</summary>
    protected void Await(Task task, SangoSession? session = null)
    {
        WaitWhileLogging(task, session);
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    protected T Await<T>(Task<T> task, SangoSession? session = null)
    {
        WaitWhileLogging(task, session);
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    protected void WriteLog(SangoSession? session)
    {
        if (session is null)
        {
            return;
        }

        while (session.Log.TryTake(out var entry))
        {
            switch (entry.Level)
            {
                case SessionLogLevel.Warning:
                    WriteWarning(entry.Text);
                    break;
                case SessionLogLevel.Debug:
                    WriteDebug(entry.Text);
                    break;
                default:
                    WriteVerbose(entry.Text);
                    break;
            }
        }
    }

    /// <summary>The runspace's default session; a terminating NoSession error when Connect-Sango has not run.</summary>
    protected SangoSession DefaultSessionOrStop()
    {
        var session = SessionRegistry.GetDefault(RunspaceId);
        if (session is null)
        {
            ThrowSangoError(new SangoException(SangoErrorIds.NoSession, SangoErrorKind.InvalidOperation,
                "There is no SangoPS session: run Connect-Sango first (or pass a session with -Session).", null,
                "Run Connect-Sango -Endpoint <broker> -Credential (Get-Credential), then run this command again."));
        }

        return session!;
    }

    /// <summary>
    /// Writes a copy of <paramref name="record"/>: the cmdlets update one record as they go, and a host that keeps
    /// the records it received (a runspace's Streams.Progress, a remote session) must not see them change later,
    /// or every record would end up reading like the last one, Completed.
    /// </summary>
    protected void ReportProgress(ProgressRecord record) =>
        WriteProgress(new ProgressRecord(record.ActivityId, record.Activity, record.StatusDescription)
        {
            PercentComplete = record.PercentComplete,
            RecordType = record.RecordType,
            CurrentOperation = record.CurrentOperation,
            ParentActivityId = record.ParentActivityId,
            SecondsRemaining = record.SecondsRemaining,
        });

    protected void WriteSangoError(SangoException exception, object? target = null) =>
        WriteError(SangoErrorRecords.From(exception, target));

    protected void ThrowSangoError(SangoException exception, object? target = null) =>
        ThrowTerminatingError(SangoErrorRecords.From(exception, target));

    private void WaitWhileLogging(Task task, SangoSession? session)
    {
        var handles = new[] { ((IAsyncResult)task).AsyncWaitHandle, StopToken.WaitHandle };
        while (!task.IsCompleted)
        {
            if (WaitHandle.WaitAny(handles, LogPollInterval) == 1)
            {
                WriteLog(session);
                throw new PipelineStoppedException();
            }

            WriteLog(session);
        }

        WriteLog(session);
    }
}
