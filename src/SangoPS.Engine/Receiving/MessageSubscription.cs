using System.Threading.Channels;
using MQTTnet;
using SangoPS.Messages;

namespace SangoPS.Receiving;

/// <summary>
/// One Receive-SangoMessage's view of the session: its filters and a bounded inbox. The network thread only
/// writes here; the cmdlet reads on its pipeline thread. When the inbox is full the network thread waits
/// (back-pressure to the broker over TCP) instead of dropping messages or growing memory.
/// </summary>
internal sealed class MessageSubscription : IDisposable
{
    public const int InboxCapacity = 10_000;

    private readonly Channel<SangoMessage> _inbox;
    private readonly bool _ownsInbox;
    private readonly CancellationTokenSource _closed = new();
    private readonly string[] _matchFilters;

    public MessageSubscription(IReadOnlyList<string> filters, int qos, Channel<SangoMessage>? sharedInbox = null)
    {
        Filters = filters;
        _matchFilters = filters.Select(MatchedFilter).ToArray();
        QoS = qos;
        _ownsInbox = sharedInbox is null;
        _inbox = sharedInbox ?? CreateInbox();
    }

    /// <summary>An inbox several subscriptions can share (Receive-SangoMessage -AllEndpoints).</summary>
    public static Channel<SangoMessage> CreateInbox() => Channel.CreateBounded<SangoMessage>(new BoundedChannelOptions(InboxCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    public IReadOnlyList<string> Filters { get; }

    public int QoS { get; }

    public ChannelReader<SangoMessage> Inbox => _inbox.Reader;

    /// <summary>
    /// The filter a message's topic is matched against: a shared subscription's messages arrive with their real
    /// topic, so '$share/&lt;group&gt;/sensors/#' matches as 'sensors/#'.
    /// </summary>
    public static string MatchedFilter(string filter)
    {
        const string SharePrefix = "$share/";
        if (!filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return filter;
        }

        var groupEnd = filter.IndexOf('/', SharePrefix.Length);
        return groupEnd < 0 ? filter : filter[(groupEnd + 1)..];
    }

    public bool Matches(string topic)
    {
        foreach (var filter in _matchFilters)
        {
            if (MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What is still in this receiver's own inbox (a shared inbox is left alone: other receivers read it).</summary>
    public IReadOnlyList<SangoMessage> TakeUnread()
    {
        var unread = new List<SangoMessage>();
        while (_ownsInbox && _inbox.Reader.TryRead(out var message))
        {
            unread.Add(message);
        }

        return unread;
    }

    public bool TryDeliver(SangoMessage message) => _closed.IsCancellationRequested || _inbox.Writer.TryWrite(message);

    public ValueTask DeliverAsync(SangoMessage message)
    {
        if (_inbox.Writer.TryWrite(message) || _closed.IsCancellationRequested)
        {
            return ValueTask.CompletedTask;
        }

        return DeliverSlowAsync(message);
    }

    public void Dispose()
    {
        _closed.Cancel();
        if (_ownsInbox)
        {
            _inbox.Writer.TryComplete();
        }

        _closed.Dispose();
    }

    private async ValueTask DeliverSlowAsync(SangoMessage message)
    {
        try
        {
            await _inbox.Writer.WriteAsync(message, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or ChannelClosedException or ObjectDisposedException)
        {
            // The receiver went away: nobody wants this message any more.
        }
    }
}
