using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Publishing;
using SangoPS.Sessions;
using SangoPS.Spool;
using Xunit;

namespace SangoPS.Engine.Tests.Publishing;

/// <summary>
/// The outbox of a session whose only endpoint refuses every connection (a loopback port nobody listens on), so
/// the connection part stays in its reconnect loop: admission, the queue bound, and settling at close, no broker.
/// </summary>
public sealed class OutboxTests : IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "sangops-outbox-" + Guid.NewGuid().ToString("N"));
    private readonly SessionLog _log = new();

    public void Dispose()
    {
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private (Outbox Outbox, SessionConnection Connection) Reconnecting(int maxQueued, string? spool = null, int maxPayloadBytes = 1000)
    {
        var options = new SangoSessionOptions([SangoEndpoint.Parse($"mqtt://127.0.0.1:{ClosedPort()}")])
        {
            MaxQueuedMessages = maxQueued,
            MaxPayloadBytes = maxPayloadBytes,
            SpoolDirectory = spool,
            TimeoutSeconds = 1,
        };
        var connection = new SessionConnection("Test", options, _log, (_, _) => Task.CompletedTask, _ => Task.CompletedTask);
        connection.StartReconnecting(null);
        var watch = Stopwatch.StartNew();
        while (!connection.IsReconnecting)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the connection part never started reconnecting");
            Thread.Sleep(1);
        }

        return (new Outbox("Test", options, _log, new SessionUsage(), connection), connection);
    }

    [Fact]
    public void Admission_refuses_a_payload_over_the_limit_and_a_bad_topic_before_anything_is_queued()
    {
        var (outbox, connection) = Reconnecting(maxQueued: 10, maxPayloadBytes: 100);
        using (connection)
        using (outbox)
        {
            var tooLarge = Assert.Throws<SangoException>(() => outbox.Admit("t", new byte[101], 1, false, "input", null, 1));
            Assert.Equal(SangoErrorIds.PayloadTooLarge, tooLarge.ErrorId);
            var badTopic = Assert.Throws<SangoException>(() => outbox.Admit("t/#", new byte[1], 1, false, "input", null, 1));
            Assert.Equal(SangoErrorIds.InvalidTopic, badTopic.ErrorId);
            Assert.Equal(0, outbox.Pending);
        }
    }

    [Fact]
    public async Task While_reconnecting_the_queue_takes_MaxQueuedMessages_and_then_refuses_with_QueueFull()
    {
        var (outbox, connection) = Reconnecting(maxQueued: 3);
        using (connection)
        using (outbox)
        {
            for (var i = 0; i < 3; i++)
            {
                await outbox.SubmitAsync(outbox.Admit($"t/{i}", [1], 1, false, i, null, 1), CancellationToken.None);
            }

            var refused = await Assert.ThrowsAsync<SangoException>(async () =>
                await outbox.SubmitAsync(outbox.Admit("t/3", [1], 1, false, 3, null, 1), CancellationToken.None));

            Assert.Equal(SangoErrorIds.QueueFull, refused.ErrorId);
            Assert.Equal(3, refused.Target);
            Assert.Equal(3, outbox.Pending);
        }
    }

    [Fact]
    public async Task At_close_what_was_not_delivered_goes_to_the_spool_in_order()
    {
        var (outbox, connection) = Reconnecting(maxQueued: 10, spool: _spool);
        using (connection)
        {
            foreach (var topic in new[] { "a", "b", "c" })
            {
                await outbox.SubmitAsync(outbox.Admit(topic, [1], 1, false, topic, null, 1), CancellationToken.None);
            }

            var result = outbox.SettleUndelivered();
            outbox.Dispose();

            Assert.Equal(3, result.Spooled);
            Assert.Equal(0, result.Lost);
            Assert.Equal(["a", "b", "c"], new MessageSpool(_spool).ClaimAll(new SessionLog()).Select(e => e.Topic));
        }
    }

    [Fact]
    public async Task At_close_without_a_spool_each_undelivered_message_is_reported_against_its_input()
    {
        var (outbox, connection) = Reconnecting(maxQueued: 10);
        using (connection)
        {
            using var tracker = new PublishTracker();
            await outbox.SubmitAsync(outbox.Admit("a", [1], 1, false, "input-a", tracker, 1), CancellationToken.None);

            var result = outbox.SettleUndelivered();
            outbox.Dispose();

            Assert.Equal(1, result.Lost);
            Assert.True(tracker.TryTakeNext(out var outcome));
            Assert.Equal(SangoErrorIds.MessagesNotDelivered, outcome.Error!.ErrorId);
            Assert.Equal("input-a", outcome.Error.Target);
        }
    }
}
