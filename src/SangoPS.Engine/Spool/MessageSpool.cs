using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SangoPS.Sessions;

namespace SangoPS.Spool;

/// <summary>
/// Store and forward on disk: one file per QoS 1/2 message that could not be delivered before its session
/// ended. Files are written under a temporary name and renamed, so a reader never sees half a file; names sort
/// by time, so the next session sends them in order. A process claims a file by renaming it (only one rename
/// can win, so two processes sharing a spool never send one entry twice) and deletes it after the broker's
/// acknowledgement; claims of a process that died are released again. A file that cannot be read is moved to
/// the corrupt folder and reported, never blocking the rest. Payloads sit here in clear, so a folder SangoPS
/// creates is readable by the user alone (<see cref="PrivateFolder"/>).
/// </summary>
public sealed class MessageSpool
{
    private const string Extension = ".sgm";
    private const string ClaimMarker = ".claimed-";
    private const string Magic = "SANGOSPOOL 1";
    private static long s_counter;

    /// <summary>The smallest file that can be a spool entry: the magic line and a header.</summary>
    private static readonly int MinimumFileLength = Magic.Length + 3;

    public MessageSpool(string directory)
    {
        Path = System.IO.Path.GetFullPath(directory);
        PrivateFolder.Create(Path);
    }

    public string Path { get; }

    private string CorruptPath => System.IO.Path.Combine(Path, "corrupt");

    /// <summary>Messages no broker will take as they are: kept for their owner to look at, never sent again.</summary>
    public string RejectedPath => System.IO.Path.Combine(Path, "rejected");

    internal void Write(string topic, ReadOnlySpan<byte> payload, int qos, bool retain, string? messageId)
    {
        var header = JsonSerializer.Serialize(new SpoolHeader(topic, qos, retain, messageId, payload.Length, Convert.ToHexString(SHA256.HashData(payload))),
            SpoolHeaderContext.Default.SpoolHeader);
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId:D7}-{Interlocked.Increment(ref s_counter):D10}{Extension}");
        var final = System.IO.Path.Combine(Path, name);
        var temporary = System.IO.Path.Combine(Path, "." + name + ".tmp");
        try
        {
            using (var stream = PrivateFolder.CreateFile(temporary))
            {
                stream.Write(Encoding.UTF8.GetBytes(Magic + "\n" + header + "\n"));
                stream.Write(payload);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, final);
        }
        catch
        {
            // A disk that filled up mid-write leaves no half file behind (the reader would set it aside as corrupt).
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Claims every waiting message, oldest first; corrupt files are set aside and reported.</summary>
    internal IReadOnlyList<SpoolEntry> ClaimAll(SessionLog log)
    {
        ReleaseClaimsOfDeadProcesses();
        var claimed = new List<SpoolEntry>();
        foreach (var file in Directory.EnumerateFiles(Path, "*" + Extension).Order(StringComparer.Ordinal))
        {
            long length;
            try
            {
                length = new FileInfo(file).Length;
            }
            catch (IOException)
            {
                continue; // Another process sharing the spool claimed it meanwhile.
            }

            if (length < MinimumFileLength)
            {
                // Never opened: a FIFO (which reports no length) would block the reader for ever, and an empty
                // file holds no message. It stays where it is for its owner to look at.
                log.Warning($"Spool file {System.IO.Path.GetFileName(file)} is empty or not a regular file (a FIFO or device); it was skipped and left in {Path}.");
                continue;
            }

            var claim = file + ClaimMarker + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            try
            {
                File.Move(file, claim);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue; // Another process claimed it first.
            }

            var entry = TryRead(claim, file, out var problem);
            if (entry is null)
            {
                SetAside(claim, file, problem!, log);
                continue;
            }

            claimed.Add(entry);
        }

        return claimed;
    }

    /// <summary>The broker acknowledged the message: it leaves the spool.</summary>
    internal static void Complete(SpoolEntry entry) => File.Delete(entry.ClaimedPath);

    /// <summary>
    /// A final refusal (larger than the broker accepts, a topic it refuses, not authorised): retrying would fail
    /// the same way on every run, so the file leaves the spool for the rejected folder. Returns where it went.
    /// </summary>
    internal string Reject(SpoolEntry entry)
    {
        PrivateFolder.Create(RejectedPath);
        var target = System.IO.Path.Combine(RejectedPath, System.IO.Path.GetFileName(entry.OriginalPath));
        File.Move(entry.ClaimedPath, target, overwrite: true);
        return target;
    }

    /// <summary>Not delivered after all: back into the spool under its original name, keeping its place.</summary>
    internal static void Release(SpoolEntry entry)
    {
        try
        {
            File.Move(entry.ClaimedPath, entry.OriginalPath);
        }
        catch (IOException)
        {
            // Already released or removed; nothing is lost either way.
        }
    }

    public SpoolInfo GetInfo()
    {
        var files = Directory.EnumerateFiles(Path, "*" + Extension).Select(f => new FileInfo(f)).ToList();
        var oldest = files.Count == 0 ? (DateTime?)null : files.Min(f => SpooledAt(f.Name));
        var corrupt = Directory.Exists(CorruptPath) ? Directory.EnumerateFiles(CorruptPath).Count() : 0;
        var rejected = Directory.Exists(RejectedPath) ? Directory.EnumerateFiles(RejectedPath).Count() : 0;
        var claimed = Directory.EnumerateFiles(Path, "*" + Extension + ClaimMarker + "*").Count();
        return new SpoolInfo(Path, files.Count, oldest, files.Sum(f => f.Length), corrupt, claimed, rejected);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the temporary name is never read as a spooled message.
        }
    }

    private static DateTime SpooledAt(string name) =>
        long.TryParse(name.AsSpan(0, Math.Min(19, name.Length)), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? new DateTime(ticks, DateTimeKind.Utc).ToLocalTime()
            : DateTime.MinValue;

    private static SpoolEntry? TryRead(string claimedPath, string originalPath, out string? problem)
    {
        problem = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(claimedPath);
        }
        catch (IOException exception)
        {
            problem = exception.Message;
            return null;
        }

        var first = Array.IndexOf(bytes, (byte)'\n');
        var second = first < 0 ? -1 : Array.IndexOf(bytes, (byte)'\n', first + 1);
        if (first < 0 || second < 0 || Encoding.UTF8.GetString(bytes, 0, first) != Magic)
        {
            problem = "it does not start with a SangoPS spool header";
            return null;
        }

        SpoolHeader? header;
        try
        {
            header = JsonSerializer.Deserialize(bytes.AsSpan(first + 1, second - first - 1), SpoolHeaderContext.Default.SpoolHeader);
        }
        catch (JsonException exception)
        {
            problem = "its header is not valid: " + exception.Message;
            return null;
        }

        var payload = bytes.AsSpan(second + 1).ToArray();
        if (header is null || string.IsNullOrEmpty(header.Topic) || header.Qos is < 1 or > 2)
        {
            problem = "its header lacks a topic or a QoS of 1 or 2";
            return null;
        }

        if (payload.Length != header.Length || !string.Equals(Convert.ToHexString(SHA256.HashData(payload)), header.Sha256, StringComparison.Ordinal))
        {
            problem = $"its payload is {payload.Length:N0} bytes where {header.Length:N0} were written, or its checksum differs (a partly written or damaged file)";
            return null;
        }

        return new SpoolEntry(claimedPath, originalPath, header.Topic, payload, header.Qos, header.Retain, header.Id);
    }

    private void SetAside(string claimedPath, string originalPath, string problem, SessionLog log)
    {
        Directory.CreateDirectory(CorruptPath);
        var target = System.IO.Path.Combine(CorruptPath, System.IO.Path.GetFileName(originalPath));
        try
        {
            File.Move(claimedPath, target, overwrite: true);
        }
        catch (IOException exception)
        {
            log.Warning($"Spool file {originalPath} cannot be read ({problem}) and could not be moved aside: {exception.Message}");
            return;
        }

        log.Warning($"Spool file {System.IO.Path.GetFileName(originalPath)} cannot be sent: {problem}. It was moved to {target}; the other spooled messages go on.");
    }

    private void ReleaseClaimsOfDeadProcesses()
    {
        foreach (var claim in Directory.EnumerateFiles(Path, "*" + Extension + ClaimMarker + "*"))
        {
            var marker = claim.LastIndexOf(ClaimMarker, StringComparison.Ordinal);
            if (!int.TryParse(claim.AsSpan(marker + ClaimMarker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
                pid == Environment.ProcessId || IsRunning(pid))
            {
                continue;
            }

            try
            {
                File.Move(claim, claim[..marker]);
            }
            catch (IOException)
            {
                // Another process released it first.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
