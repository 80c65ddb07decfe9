using System.Security.Cryptography.X509Certificates;
using System.Text;
using SangoPS.Endpoints;

namespace SangoPS.Sessions;

/// <summary>
/// Everything Connect-Sango was told. The password is held as UTF-8 bytes (what MQTT sends), never as a
/// property, and is cleared when the session is disposed.
/// </summary>
public sealed class SangoSessionOptions
{
    public const int DefaultMaxPayloadBytes = 51200;
    public const int DefaultTimeoutSeconds = 10;
    public const int DefaultKeepAliveSeconds = 60;
    public const int DefaultMaxQueuedMessages = 10000;
    public const int DefaultAckTimeoutSeconds = 30;
    public const int DefaultReplaySeconds = 5;

    private byte[]? _password;

    public SangoSessionOptions(IReadOnlyList<SangoEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("At least one endpoint is needed.", nameof(endpoints));
        }

        Endpoints = endpoints;
    }

    public IReadOnlyList<SangoEndpoint> Endpoints { get; }

    public string? Name { get; init; }

    public string? UserName { get; init; }

    public string ClientId { get; init; } = "sangops-" + Guid.NewGuid().ToString("N")[..12];

    public SangoProtocolVersion ProtocolVersion { get; init; } = SangoProtocolVersion.V500;

    /// <summary>When the version was not chosen explicitly, a broker that refuses 5.0 is retried with 3.1.1.</summary>
    public bool AllowProtocolFallback { get; init; } = true;

    public int MaxPayloadBytes { get; init; } = DefaultMaxPayloadBytes;

    public int KeepAliveSeconds { get; init; } = DefaultKeepAliveSeconds;

    public int TimeoutSeconds { get; init; } = DefaultTimeoutSeconds;

    /// <summary>How long a QoS 1/2 publish waits for the broker's acknowledgement before it counts as failed.</summary>
    public int AckTimeoutSeconds { get; init; } = DefaultAckTimeoutSeconds;

    public bool CleanSession { get; init; } = true;

    public uint SessionExpirySeconds { get; init; }

    public int MaxQueuedMessages { get; init; } = DefaultMaxQueuedMessages;

    public SangoEndpointStrategy Strategy { get; init; } = SangoEndpointStrategy.Failover;

    /// <summary>After a failover, messages the lost broker acknowledged this recently are published again (0: off).</summary>
    public int ReplaySeconds { get; init; } = DefaultReplaySeconds;

    /// <summary>Where undeliverable QoS 1/2 messages are kept for the next session (store and forward).</summary>
    public string? SpoolDirectory { get; init; }

    /// <summary>Trusted roots for this session only (Connect-Sango -CaFile); null means the OS trust store.</summary>
    public X509Certificate2Collection? CaCertificates { get; init; }

    public string? CaFilePath { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>The name the server certificate must match and the SNI sent, when it differs from the host dialled.</summary>
    public string? TlsServerName { get; init; }

    public bool SkipCertificateCheck { get; init; }

    /// <summary>Write every MQTT packet sent and received to the debug stream (Connect-Sango -Debug).</summary>
    public bool LogPackets { get; init; }

    public void SetPassword(ReadOnlySpan<char> password)
    {
        ClearPassword();
        // Straight from the caller's characters into the bytes MQTT sends: no string or char[] copy left behind.
        var bytes = new byte[Encoding.UTF8.GetByteCount(password)];
        Encoding.UTF8.GetBytes(password, bytes);
        _password = bytes;
    }

    /// <summary>
    /// True when SangoPS loaded <see cref="ClientCertificate"/> (from files or the store) rather than being given
    /// the object: then the session disposes it, which on Windows also deletes the key it imported for the run.
    /// </summary>
    internal bool OwnsClientCertificate { get; init; }

    internal byte[]? PasswordBytes => _password;

    internal void ClearPassword()
    {
        if (_password is not null)
        {
            Array.Clear(_password);
            _password = null;
        }
    }

    /// <summary>
    /// The same options for another endpoint and client id: the connections of Receive-SangoMessage
    /// -AllEndpoints. The password is copied, so each owner can clear its own.
    /// </summary>
    internal SangoSessionOptions ForSingleEndpoint(SangoEndpoint endpoint, string clientId)
    {
        var copy = new SangoSessionOptions([endpoint])
        {
            Name = Name,
            UserName = UserName,
            ClientId = clientId,
            ProtocolVersion = ProtocolVersion,
            AllowProtocolFallback = AllowProtocolFallback,
            MaxPayloadBytes = MaxPayloadBytes,
            KeepAliveSeconds = KeepAliveSeconds,
            TimeoutSeconds = TimeoutSeconds,
            AckTimeoutSeconds = AckTimeoutSeconds,
            CleanSession = true,
            MaxQueuedMessages = MaxQueuedMessages,
            CaCertificates = CaCertificates,
            CaFilePath = CaFilePath,
            ClientCertificate = ClientCertificate,
            TlsServerName = TlsServerName,
            SkipCertificateCheck = SkipCertificateCheck,
            LogPackets = LogPackets,
            ReplaySeconds = 0,
        };
        if (_password is not null)
        {
            copy._password = (byte[])_password.Clone();
        }

        return copy;
    }

    /// <summary>Deliberately says nothing about credentials.</summary>
    public override string ToString() =>
        $"{string.Join(", ", Endpoints)} as {(UserName is null ? "anonymous" : UserName)}";
}
