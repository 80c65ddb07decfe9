using SangoPS.Messages;
using SangoPS.Receiving;
using Xunit;

namespace SangoPS.Engine.Tests.Receiving;

public sealed class MessageRouterTests
{
    private static SangoMessage Message(string topic, string text) =>
        new(topic, System.Text.Encoding.UTF8.GetBytes(text), 1, false, DateTime.Now, "mqtt://test:1883");

    private static List<string> Drain(MessageSubscription subscription)
    {
        var texts = new List<string>();
        while (subscription.Inbox.TryRead(out var message))
        {
            texts.Add((string)message.Payload!);
        }

        return texts;
    }

    [Fact]
    public async Task Messages_go_to_every_receiver_whose_filter_matches()
    {
        var router = new MessageRouter(keepBacklog: false);
        using var all = new MessageSubscription(["sango/#"], 1);
        using var one = new MessageSubscription(["sango/a"], 1);
        router.Add(all);
        router.Add(one);

        await router.RouteAsync(Message("sango/a", "1"));
        await router.RouteAsync(Message("sango/b", "2"));

        Assert.Equal(["1", "2"], Drain(all));
        Assert.Equal(["1"], Drain(one));
    }

    [Fact]
    public async Task A_persistent_session_keeps_early_messages_for_the_next_receiver_in_order()
    {
        var router = new MessageRouter(keepBacklog: true);
        await router.RouteAsync(Message("sango/a", "1"));
        await router.RouteAsync(Message("other/x", "kept for another filter"));
        await router.RouteAsync(Message("sango/a", "2"));

        using var receiver = new MessageSubscription(["sango/#"], 1);
        router.Add(receiver);
        await router.RouteAsync(Message("sango/a", "3"));

        Assert.Equal(["1", "2", "3"], Drain(receiver));
        using var later = new MessageSubscription(["other/#"], 1);
        router.Add(later);
        Assert.Equal(["kept for another filter"], Drain(later));
    }

    [Fact]
    public async Task A_clean_session_drops_messages_nobody_listens_to()
    {
        var router = new MessageRouter(keepBacklog: false);
        await router.RouteAsync(Message("sango/a", "lost"));
        using var receiver = new MessageSubscription(["sango/#"], 1);
        router.Add(receiver);
        Assert.Empty(Drain(receiver));
    }

    [Fact]
    public async Task A_removed_receiver_gets_nothing_more()
    {
        var router = new MessageRouter(keepBacklog: false);
        using var receiver = new MessageSubscription(["sango/#"], 1);
        router.Add(receiver);
        router.Remove(receiver);
        await router.RouteAsync(Message("sango/a", "1"));
        Assert.Empty(Drain(receiver));
        Assert.Empty(router.Receivers);
    }

    [Fact]
    public async Task A_persistent_session_gives_what_a_receiver_left_unread_to_the_next_one_before_later_messages()
    {
        var router = new MessageRouter(keepBacklog: true);
        using var first = new MessageSubscription(["sango/#"], 1);
        router.Add(first);
        await router.RouteAsync(Message("sango/a", "1"));
        await router.RouteAsync(Message("sango/a", "2"));
        Assert.True(first.Inbox.TryRead(out var handedOn));
        Assert.Equal("1", handedOn.Payload);

        router.Remove(first, keepUnread: true);
        await router.RouteAsync(Message("sango/a", "3"));
        using var next = new MessageSubscription(["sango/#"], 1);
        router.Add(next);

        Assert.Equal(["2", "3"], Drain(next));
    }

    [Fact]
    public async Task A_clean_session_keeps_nothing_a_receiver_left_unread()
    {
        var router = new MessageRouter(keepBacklog: false);
        using var first = new MessageSubscription(["sango/#"], 1);
        router.Add(first);
        await router.RouteAsync(Message("sango/a", "1"));

        router.Remove(first, keepUnread: true);
        using var next = new MessageSubscription(["sango/#"], 1);
        router.Add(next);

        Assert.Empty(Drain(next));
    }
}
