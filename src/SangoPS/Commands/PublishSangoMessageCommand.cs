using System.Diagnostics;
using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Publishing;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Publishes each pipeline input as one message, or with -Batch packs the inputs into as few messages as fit
/// (JSON arrays). Inputs are checked (topic rules, exact packet size against the limit) before anything is sent,
/// then handed to the session's writer without waiting for each acknowledgement; outcomes are reported in input
/// order as they arrive and all of them before the command ends.
/// </summary>
[Cmdlet(VerbsData.Publish, "SangoMessage", SupportsShouldProcess = true)]
[OutputType(typeof(SangoPublishResult))]
public sealed class PublishSangoMessageCommand : SangoSessionCmdlet
{
    private static readonly TimeSpan OutcomeWait = TimeSpan.FromMilliseconds(200);

    /// <summary>Only a long wait for acknowledgements is worth a progress bar.</summary>
    private const long ProgressThreshold = 1000;

    /// <summary>A batch publish shows progress once it has run this long, and then at most this often.</summary>
    private static readonly TimeSpan BatchProgressDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BatchProgressInterval = TimeSpan.FromMilliseconds(250);

    private SangoSession? _session;
    private PublishTracker? _tracker;
    private SamplePacker? _packer;
    private long _batchMessages;
    private Stopwatch? _batchClock;
    private TimeSpan _lastBatchProgress;
    private ProgressRecord? _batchProgress;
    private bool _isBatching;
    private bool _mayAskShouldProcess = true;

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

    /// <summary>Packs the inputs into as few messages as fit: each message is a JSON array of inputs.</summary>
    [Parameter]
    public SwitchParameter Batch { get; set; }

    /// <summary>
    /// Not bound by property name, unlike the other session cmdlets: PowerShell would then look for a Session
    /// property on every input, and on a string that Get-Content decorated with its note properties that failed
    /// lookup was a large share of a long pipeline in a fresh process (docs/benchmarks.md). An input
    /// object that carries a session still publishes through it: <see cref="SessionCarriedBy"/> looks, and only
    /// on objects, never on strings.
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(SessionArgumentCompleter))]
    public override SangoSession? Session { get; set; }

    /// <summary>How many levels of an object are written as JSON, as ConvertTo-Json -Depth; deeper levels become their type names, with a warning.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int Depth { get; set; } = PowerShellJson.DefaultDepth;

    /// <summary>At most this many inputs per -Batch message; giving it implies -Batch.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int BatchSize { get; set; } = int.MaxValue;

    protected override void BeginProcessing()
    {
        _isBatching = Batch || MyInvocation.BoundParameters.ContainsKey(nameof(BatchSize));
        _mayAskShouldProcess = ShouldProcessCanAct();
    }

    /// <summary>
    /// Whether ShouldProcess can do anything in this invocation: -WhatIf, a confirmation, or its -Verbose line.
    /// PowerShell's ShouldProcess loads its localized message from resources on every call, a measurable share of
    /// a long pipeline (docs/benchmarks.md). When none of
    /// those can apply, the answer is always yes, so the call is skipped. Any explicit -WhatIf, -Confirm,
    /// -Verbose or -Debug keeps every call.
    /// </summary>
    private bool ShouldProcessCanAct()
    {
        var bound = MyInvocation.BoundParameters;
        if (bound.ContainsKey("WhatIf") || bound.ContainsKey("Confirm") || bound.ContainsKey("Verbose") || bound.ContainsKey("Debug"))
        {
            return true;
        }

        if (LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference")))
        {
            return true;
        }

        // A confirmation is asked when this cmdlet's impact (Medium, the default) reaches $ConfirmPreference.
        // ($VerbosePreference does not matter: PowerShell writes ShouldProcess's verbose line only for -Verbose.)
        var confirm = LanguagePrimitives.TryConvertTo<ConfirmImpact>(GetVariableValue("ConfirmPreference"), out var impact) ? impact : ConfirmImpact.High;
        return confirm != ConfirmImpact.None && confirm <= ConfirmImpact.Medium;
    }

    protected override void ProcessRecord()
    {
        // Without -Session, each input object may carry its own session.
        SangoSession session;
        try
        {
            session = ResolveSession(SessionCarriedBy(Payload));
        }
        catch (SangoException exception)
        {
            WriteSangoError(exception);
            return;
        }

        if (!ReferenceEquals(session, _session))
        {
            FlushBatch();
            FlushOutcomes();
            _tracker?.Dispose();
            _session = session;
            _tracker = new PublishTracker();
        }

        WriteLog(session);
        if (_isBatching)
        {
            AddToBatch(session);
            WriteReadyOutcomes();
            return;
        }

        byte[] payload;
        try
        {
            payload = PayloadEncoder.Encode(Payload, Depth, this);
        }
        catch (SangoException exception)
        {
            WriteSangoError(exception);
            return;
        }

        Submit(session, Topic, payload, Payload, sampleCount: 1);
        WriteReadyOutcomes();
    }

    protected override void EndProcessing()
    {
        FlushBatch();
        if (_batchProgress is not null)
        {
            _batchProgress.RecordType = ProgressRecordType.Completed;
            ReportProgress(_batchProgress);
        }

        FlushOutcomes();
        if (_session is not null)
        {
            // QoS 0 outcomes are "Sent" once handed to the connection; make that mean "written to the socket".
            Await(_session.FlushWritesAsync(StopToken), _session);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_session is not null && _packer?.Flush() is { } leftover)
            {
                SendLeftoverBatch(_session, leftover);
            }

            _tracker?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// The pipeline stopped before EndProcessing (Ctrl+C, Select-Object -First downstream, a terminating error
    /// upstream) while inputs were packed but not yet sent. They were accepted, so they go out as one last message
    /// (or, at QoS 1/2, to the spool when the session closes undelivered). Nothing may be written to PowerShell's
    /// streams any more, so the warning goes to the session's log: the next SangoPS command on this session
    /// (Disconnect-Sango at the latest) shows it.
    /// </summary>
    private void SendLeftoverBatch(SangoSession session, PackedBatch batch)
    {
        var count = batch.Sources.Length;
        try
        {
            var request = session.CreatePublishRequest(batch.Topic, batch.Payload, QoS, Retain, batch.Sources, tracker: null, count);
            var submitted = session.SubmitAsync(request, CancellationToken.None);
            if (!submitted.IsCompletedSuccessfully)
            {
                submitted.AsTask().Wait(TimeSpan.FromSeconds(session.TimeoutSeconds));
            }

            session.Log.Warning($"Publish-SangoMessage -Batch was stopped before its end: the {count:N0} input(s) it had already packed for '{batch.Topic}' were sent as one last message (QoS {QoS}).");
        }
        catch (Exception exception) when (exception is SangoException or AggregateException)
        {
            var reason = exception is AggregateException { InnerException: { } inner } ? inner.Message : exception.Message;
            session.Log.Warning($"Publish-SangoMessage -Batch was stopped before its end, and the {count:N0} input(s) it had already packed for '{batch.Topic}' could not be sent: {reason}");
        }
    }

    /// <summary>
    /// The session an input object carries in a Session property (a [pscustomobject], a row), as binding by
    /// property name would give it; null for strings, byte arrays, hashtables and objects without one.
    /// </summary>
    /// <exception cref="SangoException">InvalidSession: the property holds something else.</exception>
    private SangoSession? SessionCarriedBy(object? input)
    {
        if (Session is not null || input is PSObject { BaseObject: string or byte[] } || !PayloadEncoder.TryGetProperty(input, "Session", out var carried))
        {
            return null;
        }

        return carried switch
        {
            null => null,
            SangoSession session => session,
            PSObject { BaseObject: SangoSession session } => session,
            var other => throw new SangoException(SangoErrorIds.InvalidSession, SangoErrorKind.InvalidArgument,
                $"The input's Session property holds a {(other is PSObject o ? o.BaseObject : other).GetType().FullName}, not a SangoPS session; the input was not sent, the other inputs are.",
                input, "Put a session from Connect-Sango or Get-SangoSession in the Session property, or remove the property to use -Session or the default session."),
        };
    }

    private void AddToBatch(SangoSession session)
    {
        byte[] sample;
        int room;
        try
        {
            sample = PayloadEncoder.EncodeSample(Payload, Depth, this);
            room = session.BatchRoom(Topic, QoS, sample.Length, Payload);
        }
        catch (SangoException exception)
        {
            WriteSangoError(exception);
            return;
        }

        _packer ??= new SamplePacker(BatchSize);
        foreach (var batch in _packer.Add(Topic, sample, Payload, room))
        {
            SubmitBatch(session, batch);
        }

        ReportBatchProgress();
    }

    /// <summary>Sends the batch being packed as one message (nothing when it is empty).</summary>
    private void FlushBatch()
    {
        if (_session is not null && _packer?.Flush() is { } batch)
        {
            SubmitBatch(_session, batch);
        }
    }

    private void SubmitBatch(SangoSession session, PackedBatch batch)
    {
        if (Submit(session, batch.Topic, batch.Payload, batch.Sources, batch.Sources.Length))
        {
            _batchMessages++;
        }
    }

    /// <summary>
    /// Checks one message (topic, exact size), asks ShouldProcess when it can act, and queues it; false when the
    /// message was refused (its error written) or declined. <paramref name="source"/> is what an error names.
    /// </summary>
    private bool Submit(SangoSession session, string topic, byte[] payload, object? source, int sampleCount)
    {
        PublishRequest request;
        try
        {
            request = session.CreatePublishRequest(topic, payload, QoS, Retain, source, _tracker, sampleCount);
        }
        catch (SangoException exception)
        {
            WriteSangoError(exception);
            return false;
        }

        if (_mayAskShouldProcess)
        {
            var what = _isBatching ? $"{sampleCount:N0} input(s) as one JSON array of {payload.Length:N0} bytes" : $"{payload.Length:N0} bytes";
            if (!ShouldProcess(topic, $"Publish {what} at QoS {QoS}{(Retain ? " (retained)" : string.Empty)}"))
            {
                return false;
            }
        }

        Enqueue(session, request);
        return true;
    }

    private void ReportBatchProgress()
    {
        _batchClock ??= Stopwatch.StartNew();
        var elapsed = _batchClock.Elapsed;
        if (elapsed < BatchProgressDelay || elapsed - _lastBatchProgress < BatchProgressInterval)
        {
            return;
        }

        _lastBatchProgress = elapsed;
        _batchProgress ??= new ProgressRecord(3, "Publish-SangoMessage -Batch", "Packing inputs into messages");
        _batchProgress.StatusDescription = $"{_packer?.SamplesPacked ?? 0:N0} input(s) packed into {_batchMessages:N0} message(s) so far";
        ReportProgress(_batchProgress);
    }

    /// <summary>Hands the request to the session's outbox, which applies back-pressure (or refuses with QueueFull).</summary>
    private void Enqueue(SangoSession session, PublishRequest request)
    {
        try
        {
            var submitted = session.SubmitAsync(request, StopToken);
            if (!submitted.IsCompletedSuccessfully)
            {
                Await(submitted.AsTask(), session);
            }
        }
        catch (SangoException exception)
        {
            WriteSangoError(exception);
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
                ReportProgress(progress);
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
            ReportProgress(progress);
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
