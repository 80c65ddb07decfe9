using System.Collections.Concurrent;
using SangoPS.Messages;

namespace SangoPS.Receiving;

/// <summary>
/// Hands each received message to every receiver whose filters match it. For a persistent session it keeps the
/// messages that arrive before any receiver (the broker sends what it kept right after the CONNACK) for the next
/// receiver, bounded. Routing and a receiver's arrival take the same lock, so that backlog reaches a new receiver
/// before anything that arrives after it.
/// </summary>
internal sealed class MessageRouter
{
    private const int BacklogLimit = 10_000;

    private readonly bool _keepBacklog;
    private readonly object _gate = new();
    private readonly ConcurrentQueue<SangoMessage> _backlog = new();
    private volatile MessageSubscription[] _receivers = [];

    /// <param name="keepBacklog">True for a persistent session (CleanSession off).</param>
    public MessageRouter(bool keepBacklog) => _keepBacklog = keepBacklog;

    public IReadOnlyList<MessageSubscription> Receivers => _receivers;

    public void Add(MessageSubscription subscription)
    {
        lock (_gate)
        {
            // The backlog is no larger than an inbox, so TryDeliver always finds room.
            var count = _backlog.Count;
            for (var i = 0; i < count && _backlog.TryDequeue(out var message); i++)
            {
                if (!subscription.Matches(message.Topic) || !subscription.TryDeliver(message))
                {
                    _backlog.Enqueue(message);
                }
            }

            _receivers = [.. _receivers, subscription];
        }
    }

    /// <param name="keepUnread">
    /// True for a persistent session: the messages still in the receiver's inbox (not handed on, so not acknowledged)
    /// go back to the front of the backlog, ahead of anything that arrived later, for the next receiver.
    /// </param>
    public void Remove(MessageSubscription subscription, bool keepUnread = false)
    {
        lock (_gate)
        {
            _receivers = _receivers.Where(r => r != subscription).ToArray();
            var unread = keepUnread && _keepBacklog ? subscription.TakeUnread() : [];
            if (unread.Count == 0)
            {
                return;
            }

            var later = _backlog.ToArray();
            _backlog.Clear();
            foreach (var message in unread.Concat(later))
            {
                _backlog.Enqueue(message);
            }
        }
    }

    public async Task RouteAsync(SangoMessage message)
    {
        List<MessageSubscription>? slow = null;
        lock (_gate)
        {
            var delivered = false;
            foreach (var receiver in _receivers)
            {
                if (receiver.Matches(message.Topic))
                {
                    delivered = true;
                    if (!receiver.TryDeliver(message))
                    {
                        (slow ??= new()).Add(receiver);
                    }
                }
            }

            if (!delivered && _keepBacklog)
            {
                _backlog.Enqueue(message);
                while (_backlog.Count > BacklogLimit && _backlog.TryDequeue(out _))
                {
                }
            }
        }

        foreach (var receiver in slow ?? [])
        {
            // A full inbox: wait outside the lock (back-pressure on this connection only).
            await receiver.DeliverAsync(message).ConfigureAwait(false);
        }
    }
}
