namespace SangoPS.Messages;

/// <summary>
/// The unique id SangoPS puts on every MQTT 5 message (a user property), so that receivers listening on several
/// endpoints of a cluster, or getting a message again after a failover replay, can drop repeats.
/// </summary>
public static class MessageIds
{
    public const string UserPropertyName = "sango-id";

    /// <summary>Encoded size of the id property: identifier, two length-prefixed strings (8 + 22 bytes).</summary>
    public static readonly int PropertyBytes = PublishPacketSize.UserPropertyBytes(UserPropertyName.Length, 22);

    private const string UrlSafeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    // 80 random bits per process and a 48-bit counter: unique across processes and machines (a repeat needs two
    // processes to draw the same 80 bits), and several times cheaper per message than a new random Guid.
    private static readonly byte[] ProcessPrefix = RandomPrefix();
    private static long s_counter;

    /// <summary>
    /// The random bytes of one version-4 Guid, without its version and variant bits. Not RandomNumberGenerator:
    /// on Linux its first use loads OpenSSL, which a plain-MQTT scheduled task would pay for this alone.
    /// </summary>
    private static byte[] RandomPrefix()
    {
        Span<byte> guid = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(guid);

        // Guid byte order: byte 7 holds the version nibble, byte 8 the variant bits; 0-6 and 9-15 are random.
        var prefix = new byte[10];
        guid[..7].CopyTo(prefix);
        guid[9..12].CopyTo(prefix.AsSpan(7));
        return prefix;
    }

    /// <summary>A 128-bit id (80 random bits of this process, 48 bits of counter) in 22 URL-safe base64 characters.</summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[18];
        ProcessPrefix.CopyTo(bytes);
        var counter = Interlocked.Increment(ref s_counter);
        for (var i = 0; i < 6; i++)
        {
            bytes[15 - i] = (byte)(counter >> (8 * i));
        }

        // 16 bytes are 128 bits: 21 full 6-bit groups and a last group of 2 bits (the padding bytes are zero).
        bytes[16] = 0;
        bytes[17] = 0;
        Span<char> chars = stackalloc char[24];
        for (int group = 0, at = 0; group < 6; group++, at += 3)
        {
            var triple = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
            chars[group * 4] = UrlSafeAlphabet[(triple >> 18) & 63];
            chars[(group * 4) + 1] = UrlSafeAlphabet[(triple >> 12) & 63];
            chars[(group * 4) + 2] = UrlSafeAlphabet[(triple >> 6) & 63];
            chars[(group * 4) + 3] = UrlSafeAlphabet[triple & 63];
        }

        return new string(chars[..22]);
    }
}
