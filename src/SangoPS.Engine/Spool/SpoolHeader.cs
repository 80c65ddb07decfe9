namespace SangoPS.Spool;

/// <summary>The JSON line at the top of a spool file; the checksum detects partly written or damaged files.</summary>
internal sealed record SpoolHeader(string Topic, int Qos, bool Retain, string? Id, int Length, string Sha256);
