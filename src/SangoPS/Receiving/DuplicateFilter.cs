using System.Security.Cryptography;
using SangoPS.Messages;

namespace SangoPS.Receiving;

/// <summary>
/// Drops repeats when one receiver hears a cluster on several endpoints (each message arrives once per
/// endpoint through the bridges) or gets a message again after a failover replay. With MQTT 5 a message is
/// recognised by the id SangoPS publishes with it, remembered for <see cref="IdWindow"/>; without an id (MQTT
/// 3.1.1, or another publisher) by its topic and payload, remembered for <see cref="ContentWindow"/>, so the
/// same reading legitimately sent twice a minute apart is not lost.
/// </summary>
public sealed class DuplicateFilter
{
    public static readonly TimeSpan IdWindow = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan ContentWindow = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, long> _expiries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long Expiry)> _order = new();

    /// <summary>How many repeats were dropped.</summary>
    public long Dropped { get; private set; }

    public bool IsFirst(SangoMessage message, DateTime utcNow)
    {
        var now = utcNow.Ticks;
        while (_order.TryPeek(out var oldest) && oldest.Expiry <= now)
        {
            _order.Dequeue();
            if (_expiries.TryGetValue(oldest.Key, out var expiry) && expiry <= now)
            {
                _expiries.Remove(oldest.Key);
            }
        }

        var (key, window) = message.MessageId is { } id
            ? ("id:" + id, IdWindow)
            : ("content:" + message.Topic + "\n" + Convert.ToHexString(SHA256.HashData(message.PayloadBytes)), ContentWindow);
        if (_expiries.TryGetValue(key, out var until) && until > now)
        {
            Dropped++;
            return false;
        }

        var expires = now + window.Ticks;
        _expiries[key] = expires;
        _order.Enqueue((key, expires));
        return true;
    }
}
