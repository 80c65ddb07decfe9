using SangoPS.Transport;
using Xunit;

namespace SangoPS.Engine.Tests.Messages;

public class PacketDescriptionTests
{
    [Theory]
    [InlineData(new byte[] { 0xC0, 0x00 }, "PINGREQ (2 bytes)")]
    [InlineData(new byte[] { 0x40, 0x02, 0x00, 0x01 }, "PUBACK (4 bytes)")]
    [InlineData(new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 }, "CONNACK (5 bytes)")]
    [InlineData(new byte[] { 0x32, 0x08, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x00, 0x01, (byte)'x' }, "PUBLISH 'a/b' (QoS 1, 10 bytes)")]
    [InlineData(new byte[] { 0x31, 0x06, 0x00, 0x01, (byte)'t', (byte)'h', (byte)'i', (byte)'!' }, "PUBLISH 't' (QoS 0, retain, 8 bytes)")]
    [InlineData(new byte[] { 0x30, 0x05, 0x00, 0x09, (byte)'t' }, "PUBLISH '?' (QoS 0, 5 bytes)")]
    [InlineData(new byte[0], "(empty packet)")]
    public void Packets_are_described_by_type_size_and_topic(byte[] packet, string expected) =>
        Assert.Equal(expected, PacketDescription.Describe(packet));

    [Fact]
    public void A_publish_with_a_two_byte_remaining_length_still_shows_its_topic()
    {
        var packet = new byte[3 + 2 + 1 + 200];
        packet[0] = 0x30;
        packet[1] = 0xCB; // 203 = 0xCB 0x01
        packet[2] = 0x01;
        packet[3] = 0x00;
        packet[4] = 0x01;
        packet[5] = (byte)'z';
        Assert.Equal("PUBLISH 'z' (QoS 0, 206 bytes)", PacketDescription.Describe(packet));
    }
}
