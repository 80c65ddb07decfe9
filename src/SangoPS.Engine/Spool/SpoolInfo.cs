namespace SangoPS.Spool;

/// <summary>What waits in a spool directory (Get-SangoSpool).</summary>
public sealed class SpoolInfo
{
    public SpoolInfo(string path, int count, DateTime? oldest, long bytes, int corrupt, int claimed = 0, int rejected = 0)
    {
        Claimed = claimed;
        Rejected = rejected;
        Path = path;
        Count = count;
        Oldest = oldest;
        Bytes = bytes;
        Corrupt = corrupt;
    }

    public string Path { get; }

    /// <summary>Messages waiting to be sent by the next session that uses this spool.</summary>
    public int Count { get; }

    /// <summary>When the oldest waiting message was spooled (local time).</summary>
    public DateTime? Oldest { get; }

    /// <summary>Total size of the waiting spool files.</summary>
    public long Bytes { get; }

    /// <summary>Files that could not be read and were set aside in the corrupt folder.</summary>
    public int Corrupt { get; }

    /// <summary>Messages a running session has claimed and is sending (or a session of a process that died, until the next session releases them).</summary>
    public int Claimed { get; }

    /// <summary>Messages no broker would accept (too large, a refused topic, not authorised), moved to the rejected folder.</summary>
    public int Rejected { get; }

    public override string ToString() => $"{Count} message(s), {Bytes:N0} bytes in {Path}";
}
