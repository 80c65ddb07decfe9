using System.Security.Cryptography;
using SangoPS.Messages;

namespace SangoPS.Receiving;

/// <summary>
/// Drops repeats when one receiver hears a cluster on several endpoints (each message arrives once per
/// endpoint through the bridges) or gets a message again after a failover replay. With MQTT 5 a message is
/// recognised by the id SangoPS publishes with it, remembered for <see cref="IdWindow"/>; without an id (MQTT
/// 3.1.1, another publisher, or a bridge that dropped the id) by its topic and payload, remembered for
/// <see cref="ContentWindow"/>, so the same reading legitimately sent twice a minute apart is not lost.
/// </summary>
public sealed class DuplicateFilter
{
    public static readonly TimeSpan IdWindow = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan ContentWindow = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (string? Id, long Expiry)> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long Expiry)> _order = new();

    /// <summary>How many repeats were dropped.</summary>
    public long Dropped { get; private set; }

    public bool IsFirst(SangoMessage message, DateTime utcNow)
    {
        var now = utcNow.Ticks;
        Evict(now);

        // The content key catches a copy that lost its id on the way (a bridge speaking MQTT 3.1.1 drops user
        // properties): it remembers which id, if any, the content arrived with.
        var content = "content:" + message.Topic + "\n" + Convert.ToHexString(SHA256.HashData(message.PayloadBytes));
        var contentSeen = _seen.TryGetValue(content, out var seen) && seen.Expiry > now;
        if (message.MessageId is { } id)
        {
            var idKey = "id:" + id;
            if ((_seen.TryGetValue(idKey, out var byId) && byId.Expiry > now) || (contentSeen && seen.Id is null))
            {
                Dropped++;
                return false;
            }

            Remember(idKey, id, now + IdWindow.Ticks);
            Remember(content, id, now + ContentWindow.Ticks);
            return true;
        }

        if (contentSeen)
        {
            Dropped++;
            return false;
        }

        Remember(content, null, now + ContentWindow.Ticks);
        return true;
    }

    private void Remember(string key, string? id, long expiry)
    {
        _seen[key] = (id, expiry);
        _order.Enqueue((key, expiry));
    }

    private void Evict(long now)
    {
        while (_order.TryPeek(out var oldest) && oldest.Expiry <= now)
        {
            _order.Dequeue();
            if (_seen.TryGetValue(oldest.Key, out var entry) && entry.Expiry <= now)
            {
                _seen.Remove(oldest.Key);
            }
        }
    }
}
