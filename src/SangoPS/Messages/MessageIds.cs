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

    /// <summary>A random 128-bit id in 22 URL-safe base64 characters.</summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
