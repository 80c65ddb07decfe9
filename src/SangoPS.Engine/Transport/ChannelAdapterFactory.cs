using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;

namespace SangoPS.Transport;

/// <summary>
/// Gives MQTTnet the channel SangoPS opened itself for WebSocket endpoints (<see cref="WebSocketChannel"/>);
/// TCP endpoints keep MQTTnet's own channel, over the stream of <see cref="TcpStreamProvider"/>.
/// </summary>
internal sealed class ChannelAdapterFactory : IMqttClientAdapterFactory
{
    private readonly Func<WebSocketChannel> _createWebSocket;

    public ChannelAdapterFactory(Func<WebSocketChannel> createWebSocket) => _createWebSocket = createWebSocket;

    /// <summary>The WebSocket channel of the last connection attempt, if the endpoint is a WebSocket one.</summary>
    public WebSocketChannel? WebSocket { get; private set; }

    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChannelOptions is not MqttClientWebSocketOptions)
        {
            return new MqttClientAdapterFactory().CreateClientAdapter(options, packetInspector, logger);
        }

        // The same assembly of parts as MQTTnet's MqttClientAdapterFactory, around our channel.
        WebSocket = _createWebSocket();
        var formatter = new MqttPacketFormatterAdapter(options.ProtocolVersion, new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
        return new MqttChannelAdapter(WebSocket, formatter, logger)
        {
            AllowPacketFragmentation = options.AllowPacketFragmentation,
            PacketInspector = packetInspector,
        };
    }
}
