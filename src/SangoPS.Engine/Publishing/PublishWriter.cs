using System.Collections.Concurrent;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Spool;
using SangoPS.Transport;

namespace SangoPS.Publishing;

/// <summary>
/// The session's one writer, and the one mechanism for both speed and failover. Every publish goes through a
/// bounded queue to this single loop, which hands messages to MQTTnet in order without waiting for each
/// acknowledgement: a sliding window keeps up to the broker's Receive Maximum QoS 1 publishes in flight (QoS 2: one)
/// (MQTTnet does not enforce it) and the next message goes out as soon as any acknowledgement frees a slot.
/// MQTTnet queues sends on a FIFO lock, so calling PublishAsync in order from one loop keeps the wire order.
/// When the connection drops, QoS 1/2 messages whose acknowledgement never came go back into a resend list
/// (in stream order) and are sent first on the next connection, followed, after a failover to another endpoint,
/// by a replay of what the lost broker acknowledged in the last few seconds (its bridge may not have forwarded
/// them). While the session reconnects, new messages wait in the queue.
/// </summary>
internal sealed class PublishWriter : IDisposable
{
    /// <summary>
    /// QoS 0 has no acknowledgement, so there is nothing to overlap: one send at a time, which usually completes
    /// at once, keeps MQTTnet's send lock free of waiters (docs/benchmarks.md has the comparison with wider windows).
    /// </summary>
    private const int AtMostOnceWindow = 1;

    /// <summary>
    /// QoS 2 goes one message at a time. MQTT requires PUBREL in the order the PUBRECs arrived (MQTT 5, 4.6.0-3),
    /// and the broker forwards a QoS 2 message on its PUBREL; MQTTnet sends each PUBREL from its own publish's
    /// continuation, so with several in flight they leave in any order and subscribers see the stream reordered.
    /// </summary>
    private const int ExactlyOnceWindow = 1;

    /// <summary>How often a QoS 2 message may go unacknowledged past its deadline (each time on a new connection) before it is reported.</summary>
    private const int QoS2Attempts = 2;

    /// <summary>An upper bound on the QoS 1 window even when a broker advertises 65,535.</summary>
    private const int AtLeastOnceWindowCap = 256;

    /// <summary>
    /// While connected, a producer waits once this many messages are queued. The writer drains faster than a
    /// short queue empties, so speed is the same, but the messages (and the inputs they keep for error reports)
    /// held in memory stay few (the memory rows of docs/benchmarks.md). The full -MaxQueuedMessages is the
    /// cushion for outages.
    /// </summary>
    public const int ConnectedQueueDepth = 1024;

    private readonly Channel<PublishRequest> _queue;
    private readonly int _capacity;
    private readonly IPublishHost _host;
    private readonly TimeSpan _ackTimeout;
    private readonly SemaphoreSlim _slotFreed = new(0, int.MaxValue);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly AckDeadlines _deadlines;
    private readonly List<PublishRequest> _resend = new();
    private readonly ConcurrentQueue<(long Ticks, PublishRequest Request)> _acknowledged = new();
    private readonly ConcurrentDictionary<PublishRequest, byte> _inFlight = new(ReferenceEqualityComparer.Instance);
    private readonly Task _writer;
    private ConnectedClient? _lastConnection;
    private TaskCompletionSource? _roomWaiter;

    // Completed by the send that leaves nothing in flight (and, for the idle waiter, nothing queued either).
    private TaskCompletionSource? _settledWaiter;
    private TaskCompletionSource? _idleWaiter;

    // The stream whose sends wait while the writer has more messages at hand; only the writer touches it.
    private CoalescingWriteStream? _held;
    private int _writerIdle;
    private long _streamSequence;
    private int _inFlightCount;

    public PublishWriter(int capacity, TimeSpan ackTimeout, IPublishHost host)
    {
        _queue = Channel.CreateBounded<PublishRequest>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
        _capacity = capacity;
        _ackTimeout = ackTimeout;
        _deadlines = new AckDeadlines(ackTimeout);
        _host = host;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Messages waiting for the writer (queued, or to be sent again).</summary>
    public int Queued
    {
        get
        {
            lock (_resend)
            {
                return _queue.Reader.Count + _resend.Count;
            }
        }
    }

    /// <summary>Messages handed to MQTTnet and not yet acknowledged (or, for QoS 0, not yet written).</summary>
    public int InFlight => Volatile.Read(ref _inFlightCount);

    public bool IsIdle => Queued == 0 && InFlight == 0;

    /// <summary>True when the queue holds -MaxQueuedMessages messages.</summary>
    public bool IsQueueFull => _queue.Reader.Count >= _capacity;

    /// <summary>True when the queue holds <see cref="ConnectedQueueDepth"/> or more: a connected producer should wait.</summary>
    public bool IsBacklogged => _queue.Reader.Count >= ConnectedQueueDepth;

    /// <summary>
    /// Completes when the writer has taken the queue down to half of <see cref="ConnectedQueueDepth"/>, or after
    /// <paramref name="limit"/> (the caller checks again: the session may have started reconnecting meanwhile).
    /// </summary>
    public async Task WaitForRoomAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = Interlocked.CompareExchange(ref _roomWaiter, mine, null) ?? mine;
        if (!IsBacklogged)
        {
            // The writer may have drained the queue before it could see the waiter.
            waiter.TrySetResult();
        }

        try
        {
            await waiter.Task.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Queues a request; waits while the queue is full (back-pressure on the producing pipeline).</summary>
    public ValueTask EnqueueAsync(PublishRequest request, CancellationToken cancellationToken)
    {
        Stamp(request);
        if (_queue.Writer.TryWrite(request))
        {
            Wake();
            return ValueTask.CompletedTask;
        }

        return EnqueueWhenRoomAsync(request, cancellationToken);
    }

    private async ValueTask EnqueueWhenRoomAsync(PublishRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The session closed (Disconnect-Sango in another runspace, the runspace closing) as this arrived: its
            // outcome is reported like the rest of what the closing session could not send.
            Fail(request, new SangoException(SangoErrorIds.SessionClosed, SangoErrorKind.InvalidOperation,
                $"The message for '{request.Topic}' was not queued: the session was closed meanwhile.", request.Source,
                "Run Connect-Sango to open a new session and publish it again."));
            return;
        }

        Wake();
    }

    private static bool IsFinalRefusal(MqttClientPublishReasonCode code) => code is MqttClientPublishReasonCode.NotAuthorized
        or MqttClientPublishReasonCode.TopicNameInvalid or MqttClientPublishReasonCode.PayloadFormatInvalid;

    /// <summary>Puts requests ahead of everything queued (spooled messages of an earlier session).</summary>
    public void EnqueueFirst(IEnumerable<PublishRequest> requests)
    {
        lock (_resend)
        {
            foreach (var request in requests)
            {
                // Negative stream positions sort before every message of this session.
                request.StreamSequence = long.MinValue + _resend.Count;
                _resend.Add(request);
            }

            _resend.Sort(ByStreamSequence);
        }

        Wake();
    }

    /// <summary>Waits until everything queued so far is acknowledged or failed, or the token fires.</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // The waiter is in place before the check, so a send that settles after the check completes it.
            // Shared by concurrent callers (two Disconnect-Sango on one session), so no caller replaces another's.
            var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var waiter = Interlocked.CompareExchange(ref _idleWaiter, fresh, null) ?? fresh;
            if (IsIdle)
            {
                return;
            }

            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the writer and returns every QoS 1/2 message not known to be delivered (queued, to be resent, or
    /// in flight), in stream order; QoS 0 messages still waiting are reported as not sent.
    /// </summary>
    public IReadOnlyList<PublishRequest> Close()
    {
        _queue.Writer.TryComplete();
        _shutdown.Cancel();
        try
        {
            _writer.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation; anything else has already been reported per request.
        }

        var left = new List<PublishRequest>();
        while (_queue.Reader.TryRead(out var queued))
        {
            left.Add(queued);
        }

        lock (_resend)
        {
            left.AddRange(_resend);
            _resend.Clear();
        }

        foreach (var request in _inFlight.Keys)
        {
            // Taken from the in-flight set: when its publish fails later (the connection is closed next), that late
            // outcome is ignored, since the request is settled here (spooled or reported) once.
            if (_inFlight.TryRemove(request, out _))
            {
                left.Add(request);
            }
        }

        left.Sort(ByStreamSequence);
        var undelivered = new List<PublishRequest>();
        foreach (var request in left.Where(r => !r.IsReplay))
        {
            if (request.IsAtLeastOnce)
            {
                undelivered.Add(request);
            }
            else
            {
                Fail(request, new SangoException(SangoErrorIds.SessionClosed, SangoErrorKind.InvalidOperation,
                    $"The QoS 0 message for '{request.Message.Topic}' was not sent because the session was closed.", request.Source,
                    "Keep the session open until Publish-SangoMessage has finished, or publish at QoS 1."));
            }
        }

        return undelivered;
    }

    public void Dispose()
    {
        if (!_shutdown.IsCancellationRequested)
        {
            Close();
        }

        _shutdown.Dispose();
        _deadlines.Dispose();
        _slotFreed.Dispose();
        _wake.Dispose();
    }

    internal void Fail(PublishRequest request, SangoException error)
    {
        if (!request.IsReplay)
        {
            _host.OnPublishFailed(request);
            request.Tracker?.Complete(new PublishOutcome(request, null, error));
        }
    }

    private static int ByStreamSequence(PublishRequest a, PublishRequest b) => a.StreamSequence.CompareTo(b.StreamSequence);

    private void Stamp(PublishRequest request)
    {
        request.Tracker?.Register(request);
        request.StreamSequence = Interlocked.Increment(ref _streamSequence);
    }

    /// <summary>Wakes the writer if it waits for work; costs one interlocked operation when it is busy.</summary>
    private void Wake()
    {
        if (Interlocked.CompareExchange(ref _writerIdle, 0, 1) == 1)
        {
            _wake.Release();
        }
    }

    /// <summary>
    /// Waits until a message is queued or put in the resend list. The idle flag is set before the last look at
    /// the queue, so a producer either sees it (and releases the semaphore) or its message is seen here; a
    /// release that comes after the look costs one extra turn of the loop.
    /// </summary>
    private async Task WaitForWorkAsync(CancellationToken token)
    {
        Interlocked.Exchange(ref _writerIdle, 1);
        if (!TryPeekNext(out _))
        {
            await _wake.WaitAsync(token).ConfigureAwait(false);
        }

        Interlocked.Exchange(ref _writerIdle, 0);
    }

    /// <summary>
    /// Sends what the writer has put on the wire since it started holding (see <see cref="CoalescingWriteStream.Hold"/>):
    /// called before every wait, so nothing written waits for the writer's next message.
    /// </summary>
    private async Task ReleaseHeldAsync()
    {
        var held = _held;
        _held = null;
        if (held is not null)
        {
            await held.ReleaseAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        // No request is ever held across an await: while the session reconnects, messages stay in the bounded
        // queue (so -MaxQueuedMessages means what it says) and a closing session finds every one of them.
        var token = _shutdown.Token;
        try
        {
            while (true)
            {
                if (!TryPeekNext(out var next))
                {
                    await ReleaseHeldAsync().ConfigureAwait(false);
                    await WaitForWorkAsync(token).ConfigureAwait(false);
                    continue;
                }

                var connecting = _host.WaitForConnectionAsync(token);
                if (!connecting.IsCompleted)
                {
                    await ReleaseHeldAsync().ConfigureAwait(false);
                }

                var connection = await connecting.ConfigureAwait(false);
                if (connection is null)
                {
                    return;
                }

                if (!ReferenceEquals(connection, _lastConnection))
                {
                    await ReleaseHeldAsync().ConfigureAwait(false);
                    var previous = _lastConnection;
                    _lastConnection = connection;
                    if (previous is not null)
                    {
                        // A new connection: first let the old one's in-flight messages fail back into the resend
                        // list, then send in stream order (replay of the lost broker's last acknowledgements first).
                        await WaitForInFlightToSettleAsync(token).ConfigureAwait(false);
                        if (!previous.Endpoint.Equals(connection.Endpoint))
                        {
                            QueueReplay();
                        }

                        continue;
                    }
                }

                var window = next.Message.QualityOfServiceLevel switch
                {
                    MqttQualityOfServiceLevel.AtMostOnce => AtMostOnceWindow,
                    MqttQualityOfServiceLevel.ExactlyOnce => ExactlyOnceWindow,
                    _ => Math.Min(connection.BrokerReceiveMaximum, AtLeastOnceWindowCap),
                };
                if (Volatile.Read(ref _inFlightCount) >= window)
                {
                    await ReleaseHeldAsync().ConfigureAwait(false);
                    await _slotFreed.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                var request = TakeResend() ?? (_queue.Reader.TryRead(out var queued) ? queued : null);
                if (_roomWaiter is not null && _queue.Reader.Count <= ConnectedQueueDepth / 2)
                {
                    Interlocked.Exchange(ref _roomWaiter, null)?.TrySetResult();
                }

                if (request is not null)
                {
                    if (_held is null && connection.Stream is { } stream)
                    {
                        stream.Hold();
                        _held = stream;
                    }

                    Send(connection, request);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Session closing: Close() collects what is left.
        }
        finally
        {
            await ReleaseHeldAsync().ConfigureAwait(false);
        }
    }

    private bool TryPeekNext(out PublishRequest next)
    {
        lock (_resend)
        {
            if (_resend.Count > 0)
            {
                next = _resend[0];
                return true;
            }
        }

        return _queue.Reader.TryPeek(out next!);
    }

    private PublishRequest? TakeResend()
    {
        lock (_resend)
        {
            if (_resend.Count == 0)
            {
                return null;
            }

            var first = _resend[0];
            _resend.RemoveAt(0);
            return first;
        }
    }

    private void PutBack(PublishRequest request)
    {
        lock (_resend)
        {
            var index = _resend.BinarySearch(request, Comparer<PublishRequest>.Create(ByStreamSequence));
            _resend.Insert(index < 0 ? ~index : index, request);
        }

        Wake();
    }

    private async Task WaitForInFlightToSettleAsync(CancellationToken token)
    {
        // MQTTnet fails every pending request when its connection drops, so this normally ends at once; the
        // acknowledgement deadline bounds it.
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _settledWaiter, waiter); // a full fence: the count below is read after the waiter is visible
        if (Volatile.Read(ref _inFlightCount) == 0)
        {
            return;
        }

        try
        {
            await waiter.Task.WaitAsync(_ackTimeout, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Called at the end of every send's outcome: wakes whoever waits for the window or the writer to empty.</summary>
    private void SignalIfSettled()
    {
        if (Volatile.Read(ref _inFlightCount) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _settledWaiter, null)?.TrySetResult();
        if (Volatile.Read(ref _idleWaiter) is not null && IsIdle)
        {
            Interlocked.Exchange(ref _idleWaiter, null)?.TrySetResult();
        }
    }

    private void QueueReplay()
    {
        var window = _host.ReplayWindow;
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        var since = DateTime.UtcNow.Ticks - window.Ticks;
        var replay = new List<PublishRequest>();
        while (_acknowledged.TryDequeue(out var entry))
        {
            if (entry.Ticks >= since)
            {
                replay.Add(entry.Request.AsReplay());
            }
        }

        foreach (var request in replay)
        {
            PutBack(request);
        }
    }

    private void Send(ConnectedClient connection, PublishRequest request)
    {
        _inFlight.TryAdd(request, 0);
        Interlocked.Increment(ref _inFlightCount);

        // PublishAsync does not apply the client's timeout: without a deadline a lost PUBACK waits forever.
        var deadline = _deadlines.Next();
        Task<MqttClientPublishResult> task;
        try
        {
            task = connection.Client.PublishAsync(request.Message, deadline);
        }
        catch (Exception exception)
        {
            Finish(connection, request, null, exception, timedOut: false);
            return;
        }

        if (task.IsCompletedSuccessfully)
        {
            Finish(connection, request, task.Result, null, false);
            return;
        }

        task.ContinueWith(
            static (completed, state) =>
            {
                var (self, conn, req, token) = ((PublishWriter, ConnectedClient, PublishRequest, CancellationToken))state!;
                if (completed.IsCompletedSuccessfully)
                {
                    self.Finish(conn, req, completed.Result, null, false);
                }
                else
                {
                    self.Finish(conn, req, null, completed.Exception?.GetBaseException() ?? new OperationCanceledException(), token.IsCancellationRequested);
                }
            },
            (this, connection, request, deadline),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Finish(ConnectedClient connection, PublishRequest request, MqttClientPublishResult? result, Exception? exception, bool timedOut)
    {
        try
        {
            Settle(connection, request, result, exception, timedOut);
        }
        finally
        {
            // Only once the outcome is recorded (a message to resend is back in its list) does the request leave
            // the window: a writer that waits for the old connection's messages to settle must find every one of
            // them in the resend list, or a new message could overtake one still on its way back.
            Interlocked.Decrement(ref _inFlightCount);
            try
            {
                if (_slotFreed.CurrentCount == 0)
                {
                    // Wake the writer if it waits for a slot; a rare extra count only costs it one more check.
                    _slotFreed.Release();
                }
            }
            catch (ObjectDisposedException)
            {
                // A publish that settles after the session was disposed: no writer waits any more.
            }

            SignalIfSettled();
        }
    }

    private void Settle(ConnectedClient connection, PublishRequest request, MqttClientPublishResult? result, Exception? exception, bool timedOut)
    {
        if (!_inFlight.TryRemove(request, out _))
        {
            return; // Close took it: it is spooled or reported there.
        }

        var message = request.Message;
        var topic = message.Topic;
        var qos = (int)message.QualityOfServiceLevel;
        if (exception is null && result is not null && result.IsSuccess)
        {
            Acknowledged(connection, request, result, qos);
            return;
        }

        if (exception is null && result is not null)
        {
            var because = string.IsNullOrEmpty(result.ReasonString) ? string.Empty : $" ({result.ReasonString})";
            var reason = $"{result.ReasonCode} ({(int)result.ReasonCode}){because}";
            if (request.Spooled is not null && IsFinalRefusal(result.ReasonCode))
            {
                // Refused for what the message is: every later run would be refused the same way. Other codes
                // (a quota, an unspecified error) may pass: the file stays claimed and the next session retries it.
                _host.OnSpooledMessageRejected(request, reason);
            }

            Fail(request, new SangoException(SangoErrorIds.PublishRejected, SangoErrorKind.SecurityError,
                $"The broker at {connection.Endpoint} refused the message for '{topic}': {reason}.",
                request.Source,
                result.ReasonCode == MqttClientPublishReasonCode.NotAuthorized
                    ? "The user may not publish to this topic: check the broker's access rules or publish to a topic you are allowed to use."
                    : "Check the broker's reason; the message was not accepted."));
            return;
        }

        if (timedOut && message.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce && ++request.TimeoutCount >= QoS2Attempts)
        {
            // A broker that answers QoS 2 with a PUBACK (RabbitMQ 3.x) never completes the handshake: sending it again
            // on a new connection would loop for ever, so after a second attempt the message is reported instead.
            Fail(request, new SangoException(SangoErrorIds.PublishTimeout, SangoErrorKind.OperationTimeout,
                $"The broker at {connection.Endpoint} did not complete the QoS 2 handshake for '{topic}' in {QoS2Attempts} attempts of {_ackTimeout.TotalSeconds:0} s (some brokers, such as RabbitMQ 3, answer QoS 2 with a QoS 1 acknowledgement and never finish it).",
                request.Source, "Publish at QoS 1 to this broker (-QoS 1), or check that it supports QoS 2."));
            return;
        }

        if (request.IsAtLeastOnce && !_shutdown.IsCancellationRequested && IsConnectionFailure(exception, timedOut))
        {
            // Its fate is unknown: send it again on the next connection (receivers may see a duplicate).
            if (timedOut)
            {
                _host.OnConnectionSuspect(connection, $"no acknowledgement for '{topic}' within {_ackTimeout.TotalSeconds:0} s");
            }

            PutBack(request);
            return;
        }

        if (timedOut)
        {
            Fail(request, new SangoException(SangoErrorIds.PublishTimeout, SangoErrorKind.OperationTimeout,
                $"The broker at {connection.Endpoint} did not acknowledge the message for '{topic}' within {_ackTimeout.TotalSeconds:0} s.",
                request.Source, "The connection may be broken; reconnect and publish again."));
            return;
        }

        if (request.Spooled is not null && exception is MqttClientUnexpectedDisconnectReceivedException final)
        {
            // The broker closed the connection over this very message (too large, a topic it refuses, ...): it would
            // do so again on every run.
            _host.OnSpooledMessageRejected(request, $"it closed the connection: {final.ReasonCode}");
        }

        var detail = exception switch
        {
            MqttClientUnexpectedDisconnectReceivedException disconnect =>
                $"the broker closed the connection ({disconnect.ReasonCode}{(string.IsNullOrEmpty(disconnect.ReasonString) ? string.Empty : ": " + disconnect.ReasonString)})",
            MqttClientNotConnectedException => "the connection was lost",
            null => "unknown failure",
            _ => exception.GetBaseException().Message,
        };
        Fail(request, new SangoException(SangoErrorIds.PublishFailed, SangoErrorKind.ConnectionError,
            $"The message for '{topic}' could not be delivered to {connection.Endpoint}: {detail}.", request.Source,
            qos == 0 ? "QoS 0 messages are not sent again after a connection loss; publish at QoS 1 to have them resent." : "Publish it again.",
            exception));
    }

    private void Acknowledged(ConnectedClient connection, PublishRequest request, MqttClientPublishResult result, int qos)
    {
        if (request.Spooled is { } spooled)
        {
            MessageSpool.Complete(spooled);
        }

        if (request.IsReplay)
        {
            return;
        }

        _host.OnPublished(request);
        var window = _host.ReplayWindow;
        if (qos > 0 && window > TimeSpan.Zero)
        {
            var now = DateTime.UtcNow.Ticks;
            _acknowledged.Enqueue((now, request));
            var oldest = now - window.Ticks;
            while (_acknowledged.TryPeek(out var head) && head.Ticks < oldest && _acknowledged.TryDequeue(out _))
            {
                // Only the last few seconds can still be missing on the other side of the cluster.
            }
        }

        var message = request.Message;
        request.Tracker?.Complete(new PublishOutcome(request,
            new SangoPublishResult(message.Topic, request.PayloadBytes, qos, message.Retain, connection.Endpoint.ToString(),
                qos == 0 ? "Sent" : result.ReasonCode.ToString(), result.PacketIdentifier) { SampleCount = request.SampleCount },
            null));
    }

    private static bool IsConnectionFailure(Exception? exception, bool timedOut) => timedOut || exception switch
    {
        // A broker that disconnects because of the message itself would do it again: that is not an outage.
        MqttClientUnexpectedDisconnectReceivedException disconnect => disconnect.ReasonCode is not (MqttDisconnectReasonCode.PacketTooLarge
            or MqttDisconnectReasonCode.NotAuthorized or MqttDisconnectReasonCode.TopicNameInvalid or MqttDisconnectReasonCode.PayloadFormatInvalid
            or MqttDisconnectReasonCode.MalformedPacket or MqttDisconnectReasonCode.ProtocolError or MqttDisconnectReasonCode.QoSNotSupported
            or MqttDisconnectReasonCode.RetainNotSupported or MqttDisconnectReasonCode.TopicAliasInvalid),
        MqttCommunicationException or MqttClientNotConnectedException or ObjectDisposedException or OperationCanceledException => true,
        _ => false,
    };
}
