using SangoPS.Messages;
using Xunit;

namespace SangoPS.Engine.Tests.Messages;

public class PublishPacketSizeTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(127, 1)]
    [InlineData(128, 2)]
    [InlineData(16_383, 2)]
    [InlineData(16_384, 3)]
    [InlineData(2_097_151, 3)]
    [InlineData(2_097_152, 4)]
    [InlineData(268_435_455, 4)]
    public void Variable_byte_integer_lengths_follow_the_spec(long value, int expected) =>
        Assert.Equal(expected, PublishPacketSize.VariableByteIntegerLength(value));

    [Fact]
    public void Variable_byte_integer_rejects_values_it_cannot_encode()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PublishPacketSize.VariableByteIntegerLength(268_435_456));
        Assert.Throws<ArgumentOutOfRangeException>(() => PublishPacketSize.VariableByteIntegerLength(-1));
    }

    // Hand-computed packets: fixed header 1 byte + remaining-length field + topic length (2) + topic
    // + packet id (2, QoS > 0) + properties length (v5, 1 byte for empty) + payload.
    [Theory]
    [InlineData(1, 0, false, 0, 0, 1 + 1 + 2 + 1)]
    [InlineData(1, 1, false, 0, 0, 1 + 1 + 2 + 1 + 2)]
    [InlineData(1, 1, true, 0, 0, 1 + 1 + 2 + 1 + 2 + 1)]
    [InlineData(11, 1, true, 0, 100, 1 + 1 + 2 + 11 + 2 + 1 + 100)]
    [InlineData(11, 1, true, 0, 2029, 1 + 2 + 2 + 11 + 2 + 1 + 2029)]
    [InlineData(5, 2, true, 20, 51200, 1 + 3 + 2 + 5 + 2 + 1 + 20 + 51200)]
    [InlineData(5, 0, false, 0, 120, 1 + 1 + 2 + 5 + 120)]
    [InlineData(5, 0, false, 0, 121, 1 + 2 + 2 + 5 + 121)]
    public void Total_packet_size_matches_hand_computed_packets(int topic, int qos, bool v5, int props, long payload, long expected) =>
        Assert.Equal(expected, PublishPacketSize.Total(topic, qos, v5, props, payload));

    [Theory]
    [InlineData(2048, 11, 1, true, 0)]
    [InlineData(1024, 1, 0, false, 0)]
    [InlineData(130, 5, 1, true, 0)]
    [InlineData(131, 5, 1, true, 0)]
    [InlineData(132, 5, 1, true, 0)]
    [InlineData(16_390, 3, 1, true, 0)]
    [InlineData(16_391, 3, 1, true, 0)]
    [InlineData(2_097_160, 3, 1, true, 0)]
    [InlineData(51_200, 20, 2, true, 44)]
    [InlineData(268_435_460, 3, 0, false, 0)]
    public void Max_payload_fills_the_limit_and_one_more_byte_overflows(long limit, int topic, int qos, bool v5, int props)
    {
        var max = PublishPacketSize.MaxPayloadForPacketSize(limit, topic, qos, v5, props);
        Assert.True(max >= 0);
        Assert.True(PublishPacketSize.Total(topic, qos, v5, props, max) <= limit);
        Assert.True(PublishPacketSize.Total(topic, qos, v5, props, max + 1) > limit);
    }

    [Fact]
    public void The_example_broker_limit_leaves_2029_bytes_for_a_short_topic() =>
        Assert.Equal(2029, PublishPacketSize.MaxPayloadForPacketSize(2048, "sango/limit".Length, 1, true, 0));

    [Fact]
    public void No_payload_fits_when_the_headers_alone_exceed_the_limit() =>
        Assert.Equal(-1, PublishPacketSize.MaxPayloadForPacketSize(10, 20, 1, true, 0));

    [Fact]
    public void User_property_size_includes_the_identifier_and_length_prefixes() =>
        Assert.Equal(1 + 2 + 2 + 2 + 36, PublishPacketSize.UserPropertyBytes(2, 36));
}
