using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Receiving;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// Subscribes and emits messages one by one as they arrive, from the pipeline thread, until -Count messages,
/// -TimeoutSeconds, Ctrl+C or a downstream Select-Object -First ends it. Always unsubscribes (in finally:
/// Select-Object -First skips EndProcessing).
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

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSeconds { get; set; }

    [Parameter]
    public SwitchParameter AsJson { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession();
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
            ReceiveInto(session, subscription);
        }
        finally
        {
            // Bounded by the session's timeout inside UnsubscribeAsync; never cancelled by the stopping pipeline.
            session.UnsubscribeAsync(subscription).Wait(TimeSpan.FromSeconds(session.TimeoutSeconds + 1));
        }
    }

    private void ReceiveInto(SangoSession session, MessageSubscription subscription)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(StopToken);
        if (TimeoutSeconds > 0)
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(TimeoutSeconds));
        }

        var received = 0;
        while (Count == 0 || received < Count)
        {
            if (subscription.Inbox.TryRead(out var message))
            {
                received++;
                Emit(message);
                continue;
            }

            try
            {
                if (!Await(subscription.Inbox.WaitToReadAsync(deadline.Token).AsTask(), session))
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

        WriteLog(session);
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
