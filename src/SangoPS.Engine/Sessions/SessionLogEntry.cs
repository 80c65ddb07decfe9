namespace SangoPS.Sessions;

/// <summary>One line of a session's story, written by the library and shown by whichever cmdlet drains it.</summary>
internal readonly record struct SessionLogEntry(SessionLogLevel Level, string Text);
