using System.Text;
using SangoPS.Messages;
using SangoPS.Receiving;
using Xunit;

namespace SangoPS.Engine.Tests.Receiving;

public class DuplicateFilterTests
{
    private static readonly DateTime T0 = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    private static SangoMessage Message(string payload, string? id, string topic = "t") =>
        new(topic, Encoding.UTF8.GetBytes(payload), 1, false, T0, "mqtt://a:1883", null,
            id is null ? null : new Dictionary<string, string> { [MessageIds.UserPropertyName] = id });

    [Fact]
    public void The_same_id_is_dropped_within_the_window_and_counted()
    {
        var filter = new DuplicateFilter();
        Assert.True(filter.IsFirst(Message("a", "id1"), T0));
        Assert.False(filter.IsFirst(Message("a", "id1"), T0.AddSeconds(30)));
        Assert.Equal(1, filter.Dropped);
        Assert.True(filter.IsFirst(Message("a", "id1"), T0 + DuplicateFilter.IdWindow + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Two_messages_with_the_same_content_but_different_ids_are_both_kept()
    {
        var filter = new DuplicateFilter();
        Assert.True(filter.IsFirst(Message("21.5", "id1"), T0));
        Assert.True(filter.IsFirst(Message("21.5", "id2"), T0.AddSeconds(1)));
    }

    [Fact]
    public void A_copy_that_lost_its_id_on_a_bridge_is_dropped_whichever_arrives_first()
    {
        var first = new DuplicateFilter();
        Assert.True(first.IsFirst(Message("x", "id1"), T0));
        Assert.False(first.IsFirst(Message("x", null), T0.AddSeconds(1)));

        var second = new DuplicateFilter();
        Assert.True(second.IsFirst(Message("x", null), T0));
        Assert.False(second.IsFirst(Message("x", "id1"), T0.AddSeconds(1)));
    }

    [Fact]
    public void Without_ids_topic_and_payload_decide_within_the_content_window()
    {
        var filter = new DuplicateFilter();
        Assert.True(filter.IsFirst(Message("x", null), T0));
        Assert.False(filter.IsFirst(Message("x", null), T0.AddSeconds(5)));
        Assert.True(filter.IsFirst(Message("x", null, topic: "other"), T0.AddSeconds(5)));
        Assert.True(filter.IsFirst(Message("y", null), T0.AddSeconds(5)));
        Assert.True(filter.IsFirst(Message("x", null), T0 + DuplicateFilter.ContentWindow + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Memory_stays_bounded_by_the_window()
    {
        var filter = new DuplicateFilter();
        for (var i = 0; i < 100_000; i++)
        {
            Assert.True(filter.IsFirst(Message("p" + i, "id" + i), T0.AddMilliseconds(i * 10)));
        }

        // After 1,000 s only the last minute of ids (and 10 s of contents) is remembered; an old id is new again.
        Assert.True(filter.IsFirst(Message("p0", "id0"), T0.AddSeconds(1001)));
    }

    [Fact]
    public void Message_ids_are_22_url_safe_characters_and_unique()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => MessageIds.NewId()).ToList();
        Assert.All(ids, id => Assert.Matches("^[A-Za-z0-9_-]{22}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(1 + 2 + 8 + 2 + 22, MessageIds.PropertyBytes);
    }

    [Fact]
    public void Message_ids_are_base64url_of_a_process_prefix_and_a_counter()
    {
        static byte[] Decode(string id) => Convert.FromBase64String(id.Replace('-', '+').Replace('_', '/') + "==");
        var first = Decode(MessageIds.NewId());
        var second = Decode(MessageIds.NewId());

        Assert.Equal(16, first.Length);
        Assert.Equal(first[..10], second[..10]);
        static long Counter(byte[] bytes) => bytes[10..].Aggregate(0L, (value, b) => (value << 8) | b);
        Assert.True(Counter(second) > Counter(first));
    }
}
