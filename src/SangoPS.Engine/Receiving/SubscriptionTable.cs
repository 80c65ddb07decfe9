namespace SangoPS.Receiving;

/// <summary>
/// Which filters the broker currently has for this session, counted, so two receivers of the same filter
/// share one broker subscription and the last one to leave unsubscribes. Not thread-safe: the session calls
/// it under its subscription lock.
/// </summary>
internal sealed class SubscriptionTable
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _qos = new(StringComparer.Ordinal);

    /// <summary>Adds the receiver's filters and returns those the broker does not have yet.</summary>
    public IReadOnlyList<string> Add(MessageSubscription subscription)
    {
        var added = new List<string>();
        foreach (var filter in subscription.Filters.Distinct(StringComparer.Ordinal))
        {
            _counts.TryGetValue(filter, out var count);
            _counts[filter] = count + 1;
            if (count == 0)
            {
                _qos[filter] = subscription.QoS;
                added.Add(filter);
            }
        }

        return added;
    }

    /// <summary>Removes the receiver's filters and returns those nobody uses any more.</summary>
    public IReadOnlyList<string> Remove(MessageSubscription subscription)
    {
        var removed = new List<string>();
        foreach (var filter in subscription.Filters.Distinct(StringComparer.Ordinal))
        {
            if (!_counts.TryGetValue(filter, out var count))
            {
                continue;
            }

            if (count <= 1)
            {
                _counts.Remove(filter);
                _qos.Remove(filter);
                removed.Add(filter);
            }
            else
            {
                _counts[filter] = count - 1;
            }
        }

        return removed;
    }

    /// <summary>Every active filter with its QoS, to restore after a reconnect.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Snapshot() => _qos.ToList();
}
