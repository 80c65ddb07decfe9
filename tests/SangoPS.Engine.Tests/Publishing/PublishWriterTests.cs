using System.Diagnostics;
using MQTTnet;
using SangoPS.Endpoints;
using SangoPS.Engine.Tests.Fakes;
using SangoPS.Errors;
using SangoPS.Publishing;
using SangoPS.Sessions;
using SangoPS.Transport;
using Xunit;

namespace SangoPS.Engine.Tests.Publishing;

/// <summary>The outbox's one writer against a fake transport: order, the in-flight window, resend after a drop, close.</summary>
public sealed class PublishWriterTests
{
    private static readonly SangoEndpoint Endpoint = SangoEndpoint.Parse("mqtt://127.0.0.1:1883");

    private static ConnectedClient Connected(FakeMqttClient client, ushort receiveMaximum = 0) =>
        new(client, Endpoint, SangoProtocolVersion.V500, new MqttClientConnectResult { ReceiveMaximum = receiveMaximum });

    private static PublishRequest Request(string topic, int qos, PublishTracker? tracker) =>
        new(OutgoingMessage.Build(topic, [1, 2, 3], qos, retain: false, messageId: null), 3, topic, tracker);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"Timed out waiting for {what}.");
            Thread.Sleep(1);
        }
    }

    private static List<PublishOutcome> TakeOutcomes(PublishTracker tracker, int count)
    {
        var outcomes = new List<PublishOutcome>();
        WaitUntil(() =>
        {
            while (tracker.TryTakeNext(out var outcome))
            {
                outcomes.Add(outcome);
            }

            return outcomes.Count == count;
        }, $"{count} outcomes");
        return outcomes;
    }

    [Fact]
    public async Task Messages_reach_the_transport_in_submission_order_and_outcomes_come_back_in_input_order()
    {
        var host = new FakePublishHost();
        var client = new FakeMqttClient(acknowledgeAtOnce: true);
        host.Connect(Connected(client));
        using var writer = new PublishWriter(10_000, TimeSpan.FromSeconds(30), host);
        using var tracker = new PublishTracker();

        var topics = Enumerable.Range(1, 500).Select(i => $"t/{i}").ToArray();
        foreach (var topic in topics)
        {
            await writer.EnqueueAsync(Request(topic, qos: 1, tracker), CancellationToken.None);
        }

        var outcomes = TakeOutcomes(tracker, topics.Length);
        Assert.Equal(topics, client.SentTopics);
        Assert.Equal(topics, outcomes.Select(o => (string)o.Request.Source!));
        Assert.All(outcomes, o => Assert.Null(o.Error));
        Assert.Equal(500, host.Published);
    }

    [Fact]
    public async Task The_window_never_holds_more_QoS_1_messages_than_the_broker_Receive_Maximum()
    {
        var host = new FakePublishHost();
        var client = new FakeMqttClient(acknowledgeAtOnce: false);
        host.Connect(Connected(client, receiveMaximum: 5));
        using var writer = new PublishWriter(10_000, TimeSpan.FromSeconds(30), host);

        for (var i = 0; i < 20; i++)
        {
            await writer.EnqueueAsync(Request($"t/{i}", qos: 1, tracker: null), CancellationToken.None);
        }

        for (var sent = 5; sent <= 20; sent++)
        {
            WaitUntil(() => client.SentCount == sent, $"{sent} sends");
            Assert.Equal(5, writer.InFlight);
            Assert.Equal(sent, client.SentCount);
            client.AcknowledgeOne();
        }

        for (var left = 4; left > 0; left--)
        {
            client.AcknowledgeOne();
        }

        WaitUntil(() => writer.IsIdle, "the writer to be idle");
    }

    [Fact]
    public async Task Messages_unacknowledged_at_a_drop_are_sent_first_on_the_next_connection_in_order()
    {
        var host = new FakePublishHost();
        var first = new FakeMqttClient(acknowledgeAtOnce: false);
        host.Connect(Connected(first, receiveMaximum: 20));
        using var writer = new PublishWriter(10_000, TimeSpan.FromSeconds(30), host);
        using var tracker = new PublishTracker();
        for (var i = 1; i <= 5; i++)
        {
            await writer.EnqueueAsync(Request($"m{i}", qos: 1, tracker), CancellationToken.None);
        }

        WaitUntil(() => first.SentCount == 5, "5 sends on the first connection");
        first.Drop();
        await writer.EnqueueAsync(Request("m6", qos: 1, tracker), CancellationToken.None);
        var second = new FakeMqttClient(acknowledgeAtOnce: true);
        host.Connect(Connected(second, receiveMaximum: 20));

        var outcomes = TakeOutcomes(tracker, 6);
        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "m6"], second.SentTopics);
        Assert.All(outcomes, o => Assert.Null(o.Error));
    }

    [Fact]
    public async Task Close_returns_every_undelivered_QoS_1_message_in_order_and_fails_QoS_0_ones()
    {
        var host = new FakePublishHost(); // never connected: everything stays queued
        var writer = new PublishWriter(10_000, TimeSpan.FromSeconds(30), host);
        using var tracker = new PublishTracker();
        await writer.EnqueueAsync(Request("a", qos: 1, tracker), CancellationToken.None);
        await writer.EnqueueAsync(Request("b", qos: 0, tracker), CancellationToken.None);
        await writer.EnqueueAsync(Request("c", qos: 2, tracker), CancellationToken.None);

        var undelivered = writer.Close();
        writer.Dispose();

        Assert.Equal(["a", "c"], undelivered.Select(r => r.Topic));
        Assert.Equal(1, host.Failed);
    }

    [Fact]
    public async Task WaitIdle_ends_when_the_last_acknowledgement_arrives()
    {
        var host = new FakePublishHost();
        var client = new FakeMqttClient(acknowledgeAtOnce: false);
        host.Connect(Connected(client, receiveMaximum: 20));
        using var writer = new PublishWriter(10_000, TimeSpan.FromSeconds(30), host);
        await writer.EnqueueAsync(Request("a", qos: 1, tracker: null), CancellationToken.None);
        await writer.EnqueueAsync(Request("b", qos: 1, tracker: null), CancellationToken.None);
        WaitUntil(() => client.SentCount == 2, "2 sends");

        var idle = writer.WaitIdleAsync(CancellationToken.None);
        client.AcknowledgeOne();
        Assert.False(idle.IsCompleted);
        client.AcknowledgeOne();

        await idle.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(writer.IsIdle);
    }

    [Fact]
    public async Task A_QoS_2_handshake_that_never_completes_is_reported_after_two_attempts_not_resent_for_ever()
    {
        var host = new FakePublishHost();
        var client = new FakeMqttClient(acknowledgeAtOnce: true) { NeverCompleteQoS2 = true };
        host.Connect(Connected(client, receiveMaximum: 20));
        using var writer = new PublishWriter(10_000, TimeSpan.FromSeconds(1), host);
        using var tracker = new PublishTracker();

        await writer.EnqueueAsync(Request("q2", qos: 2, tracker), CancellationToken.None);
        await writer.EnqueueAsync(Request("after", qos: 1, tracker), CancellationToken.None);

        var outcomes = TakeOutcomes(tracker, 2);
        Assert.Equal(SangoErrorIds.PublishTimeout, outcomes[0].Error!.ErrorId);
        Assert.Contains("QoS 2 handshake", outcomes[0].Error!.Message, StringComparison.Ordinal);
        Assert.Null(outcomes[1].Error);
        Assert.Equal(2, client.SentTopics.Count(t => t == "q2")); // sent, timed out, sent once more, reported
        Assert.Equal(1, client.SentTopics.Count(t => t == "after"));
    }
}
