using MQTTnet;
using MQTTnet.Formatter;
using SangoPS.Endpoints;
using SangoPS.Sessions;

namespace SangoPS.Transport;

/// <summary>Turns a session's options and one endpoint into MQTTnet client options.</summary>
internal static class MqttClientOptionsFactory
{
    /// <param name="tcpStreams">Opens the connection (and TLS) of mqtt:// and mqtts:// endpoints; unused for WebSockets.</param>
    public static MqttClientOptions Create(SangoSessionOptions options, SangoEndpoint endpoint, SangoProtocolVersion version,
        TcpStreamProvider tcpStreams)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithClientId(options.ClientId)
            .WithProtocolVersion(version == SangoProtocolVersion.V500 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            .WithTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(options.KeepAliveSeconds))
            .WithCleanSession(options.CleanSession);

        if (version == SangoProtocolVersion.V500 && options.SessionExpirySeconds > 0)
        {
            builder.WithSessionExpiryInterval(options.SessionExpirySeconds);
        }

        if (options.UserName is not null)
        {
            builder.WithCredentials(options.UserName, options.PasswordBytes);
        }

        if (endpoint.Transport == EndpointTransport.WebSocket)
        {
            // WebSocketChannel opens the connection (and its TLS); MQTTnet only needs to know it is a WebSocket.
            builder.WithWebSocketServer(ws => ws.WithUri(endpoint.ToString()));
        }
        else
        {
            // TcpStreamProvider opens the connection (and its TLS); MQTTnet's own TLS stays off.
            builder.WithTcpServer(endpoint.Host, endpoint.Port).WithStreamProvider(tcpStreams);
        }

        var built = builder.Build();

        // A message made for MQTT 5 (with its id property) may be resent over a 3.1.1 connection after a
        // failover; the 3.1.1 encoder then leaves the property out instead of refusing the message.
        built.ValidateFeatures = false;
        return built;
    }
}
