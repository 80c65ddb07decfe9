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
            var queued = session.Publisher.EnqueueAsync(request, StopToken);
            if (!queued.IsCompletedSuccessfully)
            {
                Await(queued.AsTask(), session);
            }
        }

        WriteReadyOutcomes();
    }

    protected override void EndProcessing() => FlushOutcomes();

    /// <summary>Waits for every outcome of the current session's tracker and writes them in order.</summary>
    private void FlushOutcomes()
    {
        if (_tracker is null)
        {
            return;
        }

        WriteReadyOutcomes();
        while (_tracker.Outstanding > 0)
        {
            Await(_tracker.WaitForCompletionAsync(OutcomeWait, StopToken), _session);
            WriteReadyOutcomes();
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
