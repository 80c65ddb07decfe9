using SangoPS.Publishing;
using SangoPS.Transport;

namespace SangoPS.Engine.Tests.Fakes;

/// <summary>The writer's session, reduced to a connection the test swaps and counters of what was reported.</summary>
internal sealed class FakePublishHost : IPublishHost
{
    private readonly object _gate = new();
    private ConnectedClient? _connection;
    private TaskCompletionSource<ConnectedClient?> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _published;
    private int _failed;

    public TimeSpan ReplayWindow => TimeSpan.Zero;

    public int Published => Volatile.Read(ref _published);

    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Makes <paramref name="connection"/> the live one (null: reconnecting, the writer waits).</summary>
    public void Connect(ConnectedClient? connection)
    {
        TaskCompletionSource<ConnectedClient?> waiting;
        lock (_gate)
        {
            _connection = connection;
            waiting = _next;
            if (connection is not null)
            {
                _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (connection is not null)
        {
            waiting.TrySetResult(connection);
        }
    }

    public Task<ConnectedClient?> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _connection is { Client.IsConnected: true } live ? Task.FromResult<ConnectedClient?>(live) : _next.Task.WaitAsync(cancellationToken);
        }
    }

    public void OnPublished(PublishRequest request) => Interlocked.Increment(ref _published);

    public void OnPublishFailed(PublishRequest request) => Interlocked.Increment(ref _failed);

    public void OnConnectionSuspect(ConnectedClient connection, string reason)
    {
    }

    public void OnSpooledMessageRejected(PublishRequest request, string reason)
    {
    }
}
