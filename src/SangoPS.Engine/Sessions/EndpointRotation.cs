using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SangoPS.Endpoints;

namespace SangoPS.Sessions;

/// <summary>
/// RoundRobin's memory: which endpoint of a cluster the next session of this user starts at, kept in a small
/// file per endpoint list under the user's local application data, so many short scheduled tasks spread over
/// the cluster. The file is read and advanced under an exclusive lock, so concurrent processes each move it on.
/// </summary>
internal static class EndpointRotation
{
    public static string StateDirectory { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "SangoPS", "roundrobin");

    /// <summary>
    /// The endpoints in the order this session tries them: starting at the next one in turn. When the state file
    /// cannot be used (a folder that cannot be created or written), a warning goes to <paramref name="log"/> and the
    /// session tries them in the order given: RoundRobin only spreads load, and connecting matters more.
    /// </summary>
    public static IReadOnlyList<SangoEndpoint> NextOrder(IReadOnlyList<SangoEndpoint> endpoints, SessionLog? log = null)
    {
        if (endpoints.Count < 2)
        {
            return endpoints;
        }

        var file = StateFile(endpoints);
        long turn;
        try
        {
            turn = Advance(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log?.Warning($"RoundRobin could not use its state file {file} ({exception.Message}); this session tries the endpoints in the order given.");
            return endpoints;
        }

        var start = (int)(turn % endpoints.Count);
        return endpoints.Skip(start).Concat(endpoints.Take(start)).ToArray();
    }

    private static string StateFile(IReadOnlyList<SangoEndpoint> endpoints)
    {
        var key = string.Join("\n", endpoints.Select(e => e.ToString().ToLowerInvariant()));
        var name = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return Path.Combine(StateDirectory, name + ".txt");
    }

    private static long Advance(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
                _ = long.TryParse(reader.ReadToEnd().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var current);
                stream.SetLength(0);
                var next = Encoding.UTF8.GetBytes((current + 1).ToString(CultureInfo.InvariantCulture));
                stream.Write(next);
                return current;
            }
            catch (IOException) when (attempt < 50)
            {
                // Another process holds the lock for the few microseconds of its update.
                Thread.Sleep(10);
            }
        }
    }
}
