namespace SangoPS.Sessions;

/// <summary>The MQTT protocol versions SangoPS speaks.</summary>
public enum SangoProtocolVersion
{
    V311,
    V500,
}
