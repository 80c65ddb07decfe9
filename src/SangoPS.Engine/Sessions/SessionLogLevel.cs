namespace SangoPS.Sessions;

/// <summary>Which PowerShell stream a session log entry belongs to.</summary>
internal enum SessionLogLevel
{
    Verbose,
    Warning,
    Debug,
}
