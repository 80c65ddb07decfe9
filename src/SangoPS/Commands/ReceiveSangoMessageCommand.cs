using System.Management.Automation;
using System.Threading.Channels;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Receiving;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Subscribes and emits messages one by one as they arrive, from the pipeline thread, until -Count messages,
/// -TimeoutSeconds, Ctrl+C or a downstream Select-Object -First ends it. Always unsubscribes (in finally:
/// Select-Object -First skips EndProcessing). With -AllEndpoints it listens on every endpoint of the cluster
/// at once and emits each message once.
/// </summary>
[Cmdlet(VerbsCommunications.Receive, "SangoMessage")]
[OutputType(typeof(SangoMessage))]
public sealed class ReceiveSangoMessageCommand : SangoSessionCmdlet
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TopicArgumentCompleter))]
    public string[] Topic { get; set; } = ["#"];

    [Parameter]
    [ValidateRange(0, 2)]
    public int QoS { get; set; } = 1;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    /// <summary>At most 4,294,967 s (about 49.7 days), the longest a .NET timer runs; without it there is no limit.</summary>
    [Parameter]
    [ValidateRange(1, 4_294_967)]
    public int TimeoutSeconds { get; set; }

    [Parameter]
    public SwitchParameter AsJson { get; set; }

    [Parameter]
    public SwitchParameter AllEndpoints { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
        if (AllEndpoints)
        {
            ReceiveFromAllEndpoints(session);
            return;
        }

        MessageSubscription subscription;
        try
        {
            subscription = Await(session.SubscribeAsync(Topic, QoS, StopToken), session);
        }
        catch (SangoException exception)
        {
            ThrowSangoError(exception);
            return;
        }

        try
        {
            ReceiveInto(subscription.Inbox, [session], null);
        }
        finally
        {
            Unsubscribe(session, subscription);
        }
    }

    private void ReceiveFromAllEndpoints(SangoSession session)
    {
        using var cluster = new ClusterReceiver(session);
        try
        {
            Await(cluster.OpenAsync(Topic, QoS, StopToken), cluster.Sessions);
        }
        catch (SangoException exception)
        {
            ThrowSangoError(exception);
        }

        WriteVerbose($"Listening on {cluster.Sessions.Count} endpoint(s) at once; repeats are dropped by message id (MQTT 5) or by topic and payload within {DuplicateFilter.ContentWindow.TotalSeconds:0} s.");
        ReceiveInto(cluster.Inbox, cluster.Sessions, cluster.Duplicates);
    }

    private static void Unsubscribe(SangoSession session, MessageSubscription subscription) =>
        // Bounded by the session's timeout inside UnsubscribeAsync; never cancelled by the stopping pipeline.
        session.UnsubscribeAsync(subscription).Wait(TimeSpan.FromSeconds(session.TimeoutSeconds + 1));

    private void ReceiveInto(ChannelReader<SangoMessage> inbox, IReadOnlyList<SangoSession> sessions, DuplicateFilter? duplicates)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(StopToken);
        if (TimeoutSeconds > 0)
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(TimeoutSeconds));
        }

        var received = 0;
        var progress = Count > 0 ? new ProgressRecord(1, "Receive-SangoMessage", $"Waiting for {Count:N0} message(s) on {string.Join(", ", Topic)}") : null;
        while (Count == 0 || received < Count)
        {
            if (inbox.TryRead(out var message))
            {
                if (duplicates is not null && !duplicates.IsFirst(message, DateTime.UtcNow))
                {
                    message.MarkHandedOn();
                    continue;
                }

                received++;
                try
                {
                    Emit(message);
                }
                catch (PipelineStoppedException) when (!StopToken.IsCancellationRequested)
                {
                    // Select-Object -First stopped the pipeline after it took this message: it was handed on.
                    message.MarkHandedOn();
                    throw;
                }

                message.MarkHandedOn();
                if (progress is not null && (received % 100 == 0 || received == Count))
                {
                    progress.PercentComplete = (int)(100L * received / Count);
                    progress.StatusDescription = $"Received {received:N0} of {Count:N0}";
                    ReportProgress(progress);
                }

                continue;
            }

            try
            {
                if (!Await(inbox.WaitToReadAsync(deadline.Token).AsTask(), sessions))
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (!StopToken.IsCancellationRequested)
            {
                if (Count > 0)
                {
                    WriteError(SangoErrorRecords.Create(SangoErrorIds.ReceiveTimeout, ErrorCategory.OperationTimeout,
                        $"Received {received} of {Count} message(s) on {string.Join(", ", Topic)} within {TimeoutSeconds} s.", Topic,
                        "Check that something publishes to these topics, or raise -TimeoutSeconds."));
                }

                break;
            }
        }

        if (progress is not null)
        {
            progress.RecordType = ProgressRecordType.Completed;
            ReportProgress(progress);
        }

        if (duplicates is { Dropped: > 0 })
        {
            WriteVerbose($"Dropped {duplicates.Dropped:N0} repeated message(s).");
        }

        foreach (var session in sessions)
        {
            WriteLog(session);
        }
    }

    private void Emit(SangoMessage message)
    {
        if (!AsJson)
        {
            WriteObject(message);
            return;
        }

        if (PowerShellJson.TryFromJson(message.PayloadText, out var parsed, out var problem))
        {
            WriteObject(message.WithPayload(parsed));
            return;
        }

        WriteError(SangoErrorRecords.Create(SangoErrorIds.InvalidJsonPayload, ErrorCategory.InvalidData,
            $"The message on '{message.Topic}' is not JSON: {problem}", message,
            "Receive without -AsJson to see the payload as text."));
    }
}
