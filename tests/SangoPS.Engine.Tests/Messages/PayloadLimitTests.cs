using SangoPS.Errors;
using SangoPS.Messages;
using Xunit;

namespace SangoPS.Engine.Tests.Messages;

/// <summary>The one payload limit, as a table: both protocol versions, configured and advertised limits, batch room.</summary>
public sealed class PayloadLimitTests
{
    // v5 packets carry SangoPS's message id: a user property of 1 + 2 + 8 + 2 + 22 = 35 bytes.
    private const int IdProperty = 35;

    [Theory]
    // Nothing advertised: the configured limit, whatever the topic, QoS or version.
    [InlineData(51_200, 0u, false, 1, 1, 51_200)]
    [InlineData(51_200, 0u, true, 200, 2, 51_200)]
    // 3.1.1, 1,024-byte packets, topic of 5 bytes at QoS 1: 1 + 2 (length field) + 2 + 5 + 2 = 12 bytes of headers.
    [InlineData(51_200, 1024u, false, 5, 1, 1024 - 12)]
    // The same at QoS 0: no packet id.
    [InlineData(51_200, 1024u, false, 5, 0, 1024 - 10)]
    // v5 adds the properties length (1) and the id property.
    [InlineData(51_200, 1024u, true, 5, 1, 1024 - 12 - 1 - IdProperty)]
    // The configured limit is the smaller one.
    [InlineData(500, 1024u, true, 5, 1, 500)]
    // A broker limit too small for even the headers leaves no room.
    [InlineData(51_200, 20u, true, 5, 1, 0)]
    public void Room_is_the_smaller_of_the_configured_and_the_advertised_limit(int configured, uint brokerMax, bool v5, int topicBytes, int qos, int expected)
    {
        var limit = new PayloadLimit(configured, brokerMax, v5, "mqtt://broker:1883");

        Assert.Equal(expected, limit.RoomFor(topicBytes, qos));
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, IdProperty)]
    public void Every_v5_message_counts_the_id_property(bool v5, int expected) =>
        Assert.Equal(expected, new PayloadLimit(51_200, 0, v5, null).PropertyBytes);

    [Theory]
    [InlineData(0u, false)]
    [InlineData(0u, true)]
    [InlineData(1024u, false)]
    [InlineData(1024u, true)]
    [InlineData(16_400u, true)]
    public void A_payload_of_exactly_the_room_fits_and_one_byte_more_is_refused(uint brokerMax, bool v5)
    {
        var limit = new PayloadLimit(8_000, brokerMax, v5, "mqtt://broker:1883");
        var room = limit.RoomFor(topicBytes: 7, qos: 1);

        Assert.Null(limit.Check("sensors", 7, room, 1, source: null));
        var refusal = limit.Check("sensors", 7, room + 1, 1, source: "input");

        Assert.NotNull(refusal);
        Assert.Equal(SangoErrorIds.PayloadTooLarge, refusal.ErrorId);
        Assert.Equal(SangoErrorKind.LimitsExceeded, refusal.Kind);
        Assert.Equal("input", refusal.Target);
    }

    [Fact]
    public void A_refusal_by_the_broker_limit_names_the_broker_and_the_room_left()
    {
        var limit = new PayloadLimit(51_200, 1024, true, "mqtt://broker:1883");

        var refusal = limit.Check("t/x", 3, 2000, 1, null)!;

        Assert.Contains("mqtt://broker:1883", refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"leaves {limit.RoomFor(3, 1):N0} bytes", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refusal_by_the_configured_limit_names_MaxPayloadBytes()
    {
        var refusal = new PayloadLimit(100, 0, false, null).Check("t", 1, 101, 0, null)!;

        Assert.Contains("-MaxPayloadBytes", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, false)]
    [InlineData(1024u, true)]
    public void A_batch_sample_fits_when_it_and_the_two_brackets_fit_the_room(uint brokerMax, bool v5)
    {
        var limit = new PayloadLimit(4_000, brokerMax, v5, "mqtt://broker:1883");
        var room = limit.RoomFor(topicBytes: 4, qos: 1);

        Assert.True(limit.FitsInBatch(room - 2, 4, 1));
        Assert.Null(limit.CheckBatchSample("t/ab", 4, room - 2, 1, null));
        Assert.False(limit.FitsInBatch(room - 1, 4, 1));
        var refusal = limit.CheckBatchSample("t/ab", 4, room - 1, 1, "sample");
        Assert.NotNull(refusal);
        Assert.Equal(SangoErrorIds.PayloadTooLarge, refusal.ErrorId);
        Assert.Contains("-Batch", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_session_wide_figure_is_the_room_for_the_shortest_topic_at_QoS_1()
    {
        var limit = new PayloadLimit(51_200, 1024, true, null);

        Assert.Equal(limit.RoomFor(1, 1), limit.MaxPayloadBytes);
        Assert.True(limit.MaxPayloadBytes < 1024);
    }

    [Fact]
    public void The_broker_only_limit_ignores_this_session_s_own_MaxPayloadBytes()
    {
        var brokerOnly = new PayloadLimit(100, 1024, true, "mqtt://broker:1883").BrokerOnly();

        Assert.Null(brokerOnly.Check("t", 1, 500, 1, null));
        Assert.NotNull(brokerOnly.Check("t", 1, 2000, 1, null));
        Assert.Null(new PayloadLimit(100, 0, false, null).BrokerOnly().Check("t", 1, 1_000_000, 1, null));
    }
}
