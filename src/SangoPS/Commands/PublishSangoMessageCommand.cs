using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Publishing;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Publishes each pipeline input as one message. Inputs are checked (topic rules, exact packet size against the
/// limit) before anything is sent, then handed to the session's writer without waiting for each
/// acknowledgement; outcomes are reported in input order as they arrive and all of them before the command ends.
/// </summary>
[Cmdlet(VerbsData.Publish, "SangoMessage", SupportsShouldProcess = true)]
[OutputType(typeof(SangoPublishResult))]
public sealed class PublishSangoMessageCommand : SangoSessionCmdlet
{
    private static readonly TimeSpan OutcomeWait = TimeSpan.FromMilliseconds(200);

    /// <summary>Only a long wait for acknowledgements is worth a progress bar.</summary>
    private const long ProgressThreshold = 1000;
    private SangoSession? _session;
    private PublishTracker? _tracker;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(TopicArgumentCompleter))]
    public string Topic { get; set; } = string.Empty;

    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public object? Payload { get; set; }

    [Parameter]
    [ValidateRange(0, 2)]
    public int QoS { get; set; } = 1;

    [Parameter]
    public SwitchParameter Retain { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        // -Session may differ per input when it is bound by property name.
        var session = ResolveSession();
        if (!ReferenceEquals(session, _session))
        {
            FlushOutcomes();
            _session = session;
            _tracker = new PublishTracker();
        }

        WriteLog(session);
        PublishRequest request;
        try
        {
            var payload = PayloadEncoder.Encode(Payload);
            request = session.CreatePublishRequest(Topic, payload, QoS, Retain, Payload, _tracker);
        }
        catch (SangoException exception)
        {
            WriteSangoError(exception);
            return;
        }

        if (ShouldProcess(Topic, $"Publish {request.PayloadBytes:N0} bytes at QoS {QoS}{(Retain ? " (retained)" : string.Empty)}"))
        {
            Enqueue(session, request);
        }

        WriteReadyOutcomes();
    }

    protected override void EndProcessing() => FlushOutcomes();

    private void Enqueue(SangoSession session, PublishRequest request)
    {
        if (session.IsReconnecting && session.Publisher.IsQueueFull)
        {
            // Waiting would block the pipeline for as long as the outage lasts: refuse this one, clearly, now.
            WriteSangoError(new SangoException(SangoErrorIds.QueueFull, SangoErrorKind.LimitsExceeded,
                $"Session '{session.Name}' is reconnecting and its queue is full ({session.QueuedMessages:N0} message(s), -MaxQueuedMessages); the message for '{request.Topic}' was not queued.",
                request.Source, "Raise Connect-Sango -MaxQueuedMessages, or publish again once the session is connected."));
            return;
        }

        // Connected: a full queue means the broker is slower than the pipeline; wait for room (back-pressure).
        var queued = session.Publisher.EnqueueAsync(request, StopToken);
        if (!queued.IsCompletedSuccessfully)
        {
            Await(queued.AsTask(), session);
        }
    }

    /// <summary>
    /// Waits for every outcome of the current session's tracker and writes them in order. While the session is
    /// reconnecting it waits at most the session's timeout: the messages stay queued in the session, which
    /// sends them after reconnecting or spools them at Disconnect-Sango.
    /// </summary>
    private void FlushOutcomes()
    {
        if (_tracker is null || _session is null)
        {
            return;
        }

        WriteReadyOutcomes();
        var reconnectingSince = (DateTime?)null;
        var total = _tracker.Outstanding;
        var progress = total >= ProgressThreshold
            ? new ProgressRecord(2, "Publish-SangoMessage", $"Waiting for the broker to acknowledge {total:N0} message(s)")
            : null;
        while (_tracker.Outstanding > 0)
        {
            if (progress is not null)
            {
                var done = total - _tracker.Outstanding;
                progress.PercentComplete = (int)(100 * done / total);
                progress.StatusDescription = $"{done:N0} of {total:N0} acknowledged";
                WriteProgress(progress);
            }

            if (_session.IsReconnecting)
            {
                reconnectingSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - reconnectingSince > TimeSpan.FromSeconds(_session.TimeoutSeconds))
                {
                    WriteWarning($"{_tracker.Outstanding:N0} message(s) wait in session '{_session.Name}' while it reconnects; they are sent when it is back, or spooled by Disconnect-Sango when it has a -SpoolDirectory.");
                    return;
                }
            }
            else
            {
                reconnectingSince = null;
            }

            Await(_tracker.WaitForCompletionAsync(OutcomeWait, StopToken), _session);
            WriteReadyOutcomes();
        }

        if (progress is not null)
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }

    private void WriteReadyOutcomes()
    {
        while (_tracker!.TryTakeNext(out var outcome))
        {
            if (outcome.Error is not null)
            {
                WriteSangoError(outcome.Error);
            }
            else if (PassThru)
            {
                WriteObject(outcome.Result);
            }
        }
    }
}
