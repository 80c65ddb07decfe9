using System.Text;

namespace SangoPS.Transport;

/// <summary>One line about a raw MQTT packet for the debug stream: its type, its size, and a PUBLISH's topic.</summary>
public static class PacketDescription
{
    private static readonly string[] Names =
    [
        "RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
        "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH",
    ];

    public static string Describe(byte[]? buffer)
    {
        if (buffer is null || buffer.Length == 0)
        {
            return "(empty packet)";
        }

        var name = Names[buffer[0] >> 4];
        if (name != "PUBLISH")
        {
            return $"{name} ({buffer.Length} bytes)";
        }

        var qos = (buffer[0] >> 1) & 3;
        var retain = (buffer[0] & 1) == 1 ? ", retain" : string.Empty;
        var topic = ReadTopic(buffer);
        return $"PUBLISH '{topic}' (QoS {qos}{retain}, {buffer.Length} bytes)";
    }

    private static string ReadTopic(byte[] buffer)
    {
        // Skip the fixed header's Remaining Length (1 to 4 bytes, high bit = more follow).
        var index = 1;
        while (index < buffer.Length && index < 5 && (buffer[index] & 0x80) != 0)
        {
            index++;
        }

        index++;
        if (index + 2 > buffer.Length)
        {
            return "?";
        }

        var length = (buffer[index] << 8) | buffer[index + 1];
        return index + 2 + length <= buffer.Length ? Encoding.UTF8.GetString(buffer, index + 2, length) : "?";
    }
}
