using MQTTnet;
using SangoPS.Endpoints;
using SangoPS.Sessions;

namespace SangoPS.Transport;

/// <summary>A live MQTTnet client together with what the broker told us when it accepted the connection.</summary>
internal sealed class ConnectedClient
{
    public ConnectedClient(IMqttClient client, SangoEndpoint endpoint, SangoProtocolVersion version, MqttClientConnectResult result)
    {
        Client = client;
        Endpoint = endpoint;
        Version = version;
        Result = result;
    }

    public IMqttClient Client { get; }

    public SangoEndpoint Endpoint { get; }

    public SangoProtocolVersion Version { get; }

    public MqttClientConnectResult Result { get; }

    /// <summary>The TLS protocol and cipher suite; <see langword="null"/> for plain MQTT.</summary>
    public NegotiatedTls? Tls { get; init; }

    /// <summary>The stream under MQTTnet for mqtt:// and mqtts:// (none for WebSockets).</summary>
    public CoalescingWriteStream? Stream { get; init; }

    /// <summary>0 when the broker did not advertise a limit (v5) or cannot (3.1.1).</summary>
    public uint BrokerMaximumPacketSize => Result.MaximumPacketSize ?? 0;

    /// <summary>How many QoS 1/2 publishes the broker accepts in flight (65,535 when not advertised).</summary>
    public int BrokerReceiveMaximum => Result.ReceiveMaximum is > 0 ? Result.ReceiveMaximum.Value : ushort.MaxValue;
}
