namespace SangoPS.Sessions;

/// <summary>What happened to the messages a session could not deliver before it closed.</summary>
public readonly record struct SangoDisconnectResult(int Spooled, int Lost);
