namespace SangoPS.Endpoints;

/// <summary>How the MQTT bytes travel: a raw TCP stream or WebSocket frames.</summary>
public enum EndpointTransport
{
    Tcp,
    WebSocket,
}
