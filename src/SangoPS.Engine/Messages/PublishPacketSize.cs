namespace SangoPS.Messages;

/// <summary>
/// Spec-exact size arithmetic of an MQTT PUBLISH packet, so a payload the broker would cut the connection over
/// is refused before it is sent (a broker drops the connection over an oversize packet instead of answering).
/// </summary>
public static class PublishPacketSize
{
    /// <summary>The largest Remaining Length a variable byte integer can carry (4 bytes).</summary>
    public const int MaxRemainingLength = 268_435_455;

    public static int VariableByteIntegerLength(long value) => value switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(value), value, "A length cannot be negative."),
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        <= MaxRemainingLength => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Larger than MQTT's variable byte integer allows."),
    };

    /// <summary>Bytes of the PUBLISH packet's own fields, before the payload (v5: with the encoded properties).</summary>
    public static long RemainingLengthWithoutPayload(int topicBytes, int qos, bool isVersion5, int propertiesBytes)
    {
        var propertiesField = isVersion5 ? VariableByteIntegerLength(propertiesBytes) + propertiesBytes : 0;
        return 2L + topicBytes + (qos > 0 ? 2 : 0) + propertiesField;
    }

    /// <summary>Total bytes on the wire: fixed header byte, Remaining Length field, and the rest.</summary>
    public static long Total(int topicBytes, int qos, bool isVersion5, int propertiesBytes, long payloadBytes)
    {
        var remaining = RemainingLengthWithoutPayload(topicBytes, qos, isVersion5, propertiesBytes) + payloadBytes;
        return remaining > MaxRemainingLength ? long.MaxValue : 1 + VariableByteIntegerLength(remaining) + remaining;
    }

    /// <summary>
    /// The largest payload whose whole packet is at most <paramref name="maximumPacketSize"/> bytes, or -1 when
    /// not even an empty payload fits.
    /// </summary>
    public static long MaxPayloadForPacketSize(long maximumPacketSize, int topicBytes, int qos, bool isVersion5, int propertiesBytes)
    {
        var fixedPart = RemainingLengthWithoutPayload(topicBytes, qos, isVersion5, propertiesBytes);
        var best = -1L;

        // The Remaining Length field widens with the payload. For each width, the payload that fills the limit
        // exactly is allowed when its packet really needs no wider field; the largest such payload wins.
        for (var fieldBytes = 1; fieldBytes <= 4; fieldBytes++)
        {
            var payload = maximumPacketSize - 1 - fieldBytes - fixedPart;
            var remaining = fixedPart + payload;
            if (payload >= 0 && remaining <= MaxRemainingLength && VariableByteIntegerLength(remaining) <= fieldBytes)
            {
                best = Math.Max(best, payload);
            }
        }

        return best;
    }

    /// <summary>Encoded size of one MQTT 5 user property (identifier byte plus two UTF-8 strings).</summary>
    public static int UserPropertyBytes(int nameBytes, int valueBytes) => 1 + 2 + nameBytes + 2 + valueBytes;
}
