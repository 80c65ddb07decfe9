using System.Threading.Channels;
using SangoPS.Messages;
using SangoPS.Sessions;

namespace SangoPS.Receiving;

/// <summary>
/// Receive-SangoMessage -AllEndpoints: a receive-only session on every endpoint of a cluster at once, all
/// delivering into one inbox, so a message reaches the receiver even while a bridge between the endpoints is
/// down. Each message arrives once per endpoint through the bridges; <see cref="Duplicates"/> drops the repeats.
/// </summary>
internal sealed class ClusterReceiver : IDisposable
{
    private readonly Channel<SangoMessage> _inbox = MessageSubscription.CreateInbox();
    private readonly List<(SangoSession Session, MessageSubscription Subscription)> _subscriptions = new();

    public ClusterReceiver(SangoSession session) =>
        Sessions = Enumerable.Range(0, session.Endpoints.Length).Select(session.CreateEndpointReceiver).ToArray();

    /// <summary>One session per endpoint, in the cluster's order; their logs are the receive's story.</summary>
    public IReadOnlyList<SangoSession> Sessions { get; }

    public ChannelReader<SangoMessage> Inbox => _inbox.Reader;

    public DuplicateFilter Duplicates { get; } = new();

    /// <summary>
    /// Connects every endpoint (one that does not answer keeps trying in the background) and subscribes each to
    /// <paramref name="filters"/>. Throws SubscribeRejected or InvalidTopicFilter as a single receive would.
    /// </summary>
    public async Task OpenAsync(IReadOnlyList<string> filters, int qos, CancellationToken cancellationToken)
    {
        foreach (var receiver in Sessions)
        {
            await receiver.ConnectOrKeepTryingAsync(cancellationToken).ConfigureAwait(false);
            _subscriptions.Add((receiver, await receiver.SubscribeAsync(filters, qos, cancellationToken, _inbox).ConfigureAwait(false)));
        }
    }

    /// <summary>Unsubscribes (each bounded by its session's timeout, never by the stopping pipeline) and closes every endpoint.</summary>
    public void Dispose()
    {
        foreach (var (receiver, subscription) in _subscriptions)
        {
            receiver.UnsubscribeAsync(subscription).Wait(TimeSpan.FromSeconds(receiver.TimeoutSeconds + 1));
        }

        foreach (var receiver in Sessions)
        {
            receiver.Dispose();
        }
    }
}
