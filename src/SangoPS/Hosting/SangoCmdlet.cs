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
    private readonly CancellationTokenSource _stop = new();
    private bool _disposed;
    private bool _debugPreferenceChecked;

    protected CancellationToken StopToken => _stop.Token;

    /// <summary>The runspace whose sessions (and default session) this cmdlet uses.</summary>
    protected static Runspace? CurrentRunspace => Runspace.DefaultRunspace;

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
    protected void Await(Task task, SangoSession? session = null) => Await(task, session is null ? [] : [session]);

    /// <summary>Blocks the pipeline thread until the task ends, writing the logs of <paramref name="sessions"/> meanwhile.</summary>
    protected void Await(Task task, IReadOnlyList<SangoSession> sessions)
    {
        WaitWhileLogging(task, sessions);
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    protected T Await<T>(Task<T> task, SangoSession? session = null) => Await(task, session is null ? [] : [session]);

    protected T Await<T>(Task<T> task, IReadOnlyList<SangoSession> sessions)
    {
        WaitWhileLogging(task, sessions);
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

        if (!_debugPreferenceChecked)
        {
            _debugPreferenceChecked = true;
            LetDebugSwitchContinue();
        }

        foreach (var entry in session.Log.Drain())
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
        var session = SessionRegistry.GetDefault(CurrentRunspace);
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

    /// <summary>
    /// Waits on one signal set: the task's completion, Ctrl+C, and each session's log (raised when a part writes a
    /// line), so log lines reach the user as they happen and nothing polls.
    /// </summary>
    private void WaitWhileLogging(Task task, IReadOnlyList<SangoSession> sessions)
    {
        if (!task.IsCompleted)
        {
            var handles = new WaitHandle[2 + sessions.Count];
            handles[0] = ((IAsyncResult)task).AsyncWaitHandle;
            handles[1] = StopToken.WaitHandle;
            for (var i = 0; i < sessions.Count; i++)
            {
                handles[2 + i] = sessions[i].Log.Written;
            }

            while (!task.IsCompleted)
            {
                var signalled = WaitHandle.WaitAny(handles);
                WriteLogs(sessions);
                if (signalled == 1)
                {
                    throw new PipelineStoppedException();
                }
            }
        }

        WriteLogs(sessions);
    }

    /// <summary>
    /// -Debug on a compiled cmdlet makes its debug, verbose and warning preferences Inquire, so every line asked
    /// "Confirm" (and a -NonInteractive or -File run failed), while PowerShell's own advanced functions and
    /// Write-Debug -Debug just write the lines (Continue). The command runtime's preferences are not public; they are
    /// set through reflection, and left alone where that is not possible.
    /// </summary>
    private void LetDebugSwitchContinue()
    {
        if (!MyInvocation.BoundParameters.TryGetValue("Debug", out var debug) || !LanguagePrimitives.IsTrue(debug))
        {
            return;
        }

        const System.Reflection.BindingFlags Members = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public;
        var runtime = CommandRuntime.GetType();
        foreach (var name in new[] { "DebugPreference", "VerbosePreference", "WarningPreference" })
        {
            var preference = runtime.GetProperty(name, Members);
            if (preference is not { CanRead: true } || preference.GetValue(CommandRuntime) is not ActionPreference.Inquire)
            {
                continue;
            }

            if (preference.CanWrite)
            {
                preference.SetValue(CommandRuntime, ActionPreference.Continue);
            }
            else if (runtime.GetProperty("Verbose", Members) is { CanWrite: true } flag && runtime.GetProperty("IsVerboseFlagSet", Members) is { CanWrite: true } isSet)
            {
                // VerbosePreference has no setter: with -Debug it is derived as Inquire unless -Verbose was given,
                // so this says -Verbose, which -Debug implies anyway.
                flag.SetValue(CommandRuntime, true);
                isSet.SetValue(CommandRuntime, true);
            }
        }
    }

    private void WriteLogs(IReadOnlyList<SangoSession> sessions)
    {
        foreach (var session in sessions)
        {
            WriteLog(session);
        }
    }
}
