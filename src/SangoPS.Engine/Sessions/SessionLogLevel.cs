namespace SangoPS.Sessions;

/// <summary>Which PowerShell stream a session log entry belongs to.</summary>
public enum SessionLogLevel
{
    Verbose,
    Warning,
    Debug,
}
