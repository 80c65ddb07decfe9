using MQTTnet;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Publishing;
using Xunit;

namespace SangoPS.Engine.Tests.Publishing;

public class PublishTrackerTests
{
    private static PublishRequest Request(PublishTracker tracker, string topic)
    {
        var request = new PublishRequest(new MqttApplicationMessage { Topic = topic }, 1, topic, tracker);
        tracker.Register(request);
        return request;
    }

    private static PublishOutcome Ok(PublishRequest request) =>
        new(request, new SangoPublishResult(request.Message.Topic, 1, 1, false, "mqtt://x:1883", "Success", null), null);

    [Fact]
    public void Outcomes_completed_out_of_order_are_taken_in_input_order()
    {
        using var tracker = new PublishTracker();
        var requests = Enumerable.Range(0, 5).Select(i => Request(tracker, "t" + i)).ToList();
        tracker.Complete(Ok(requests[2]));
        tracker.Complete(Ok(requests[1]));
        Assert.False(tracker.TryTakeNext(out _)); // the first is still missing
        tracker.Complete(Ok(requests[0]));

        var taken = new List<string>();
        while (tracker.TryTakeNext(out var outcome))
        {
            taken.Add(outcome.Request.Message.Topic);
        }

        Assert.Equal(["t0", "t1", "t2"], taken);
        Assert.Equal(2, tracker.Outstanding);
    }

    [Fact]
    public void Errors_keep_their_place_among_successes()
    {
        using var tracker = new PublishTracker();
        var first = Request(tracker, "a");
        var second = Request(tracker, "b");
        tracker.Complete(new PublishOutcome(second, null, new SangoException(SangoErrorIds.PublishRejected, SangoErrorKind.SecurityError, "no", "b")));
        tracker.Complete(Ok(first));

        Assert.True(tracker.TryTakeNext(out var one));
        Assert.NotNull(one.Result);
        Assert.True(tracker.TryTakeNext(out var two));
        Assert.Equal("b", two.Error!.Target);
        Assert.Equal(0, tracker.Outstanding);
    }

    [Fact]
    public async Task Waiting_returns_as_soon_as_an_outcome_completes()
    {
        using var tracker = new PublishTracker();
        var request = Request(tracker, "a");
        var wait = tracker.WaitForCompletionAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.False(wait.IsCompleted);
        tracker.Complete(Ok(request));
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Waiting_honours_cancellation()
    {
        using var tracker = new PublishTracker();
        Request(tracker, "a");
        using var cancel = new CancellationTokenSource();
        var wait = tracker.WaitForCompletionAsync(Timeout.InfiniteTimeSpan, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }
}
