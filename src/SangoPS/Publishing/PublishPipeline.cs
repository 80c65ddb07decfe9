using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;
using SangoPS.Errors;
using SangoPS.Messages;
using SangoPS.Transport;

namespace SangoPS.Publishing;

/// <summary>
/// The session's one writer. Every publish of the session goes through a bounded queue to this single loop,
/// which hands messages to MQTTnet in order without waiting for each acknowledgement: a sliding window keeps
/// up to the broker's Receive Maximum QoS 1/2 publishes in flight (MQTTnet does not enforce it) and the next
/// message goes out as soon as any acknowledgement frees a slot. MQTTnet queues sends on a FIFO lock, so
/// calling PublishAsync in order from one loop keeps the wire order.
/// </summary>
internal sealed class PublishPipeline : IDisposable
{
    /// <summary>QoS 0 has no acknowledgement; this only bounds how many sends may be queued inside MQTTnet.</summary>
    private const int AtMostOnceWindow = 256;

    /// <summary>An upper bound on the QoS 1/2 window even when a broker advertises 65,535.</summary>
    private const int AtLeastOnceWindowCap = 256;

    private readonly Channel<PublishRequest> _queue;
    private readonly Func<ConnectedClient?> _currentConnection;
    private readonly Action<PublishRequest> _onPublished;
    private readonly TimeSpan _ackTimeout;
    private readonly SemaphoreSlim _slotFreed = new(0, int.MaxValue);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _writer;
    private int _inFlight;

    public PublishPipeline(int capacity, TimeSpan ackTimeout, Func<ConnectedClient?> currentConnection, Action<PublishRequest> onPublished)
    {
        _queue = Channel.CreateBounded<PublishRequest>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _ackTimeout = ackTimeout;
        _currentConnection = currentConnection;
        _onPublished = onPublished;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Messages waiting for the writer.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Messages handed to MQTTnet and not yet acknowledged (or, for QoS 0, not yet written).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public bool IsIdle => Queued == 0 && InFlight == 0;

    /// <summary>Queues a request; waits while the queue is full (back-pressure on the producing pipeline).</summary>
    public ValueTask EnqueueAsync(PublishRequest request, CancellationToken cancellationToken)
    {
        request.Tracker?.Register(request);
        return _queue.Writer.TryWrite(request) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(request, cancellationToken);
    }

    /// <summary>Waits until everything queued so far is acknowledged or failed, or the token fires.</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        // Completion of the last message is signalled on a network thread; a short poll keeps this simple and
        // is only used when a session closes.
        while (!IsIdle)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
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

        while (_queue.Reader.TryRead(out var request))
        {
            Fail(request, new SangoException(SangoErrorIds.SessionClosed, SangoErrorKind.InvalidOperation,
                $"The message for '{request.Message.Topic}' was not sent because the session was closed.", request.Source,
                "Keep the session open until Publish-SangoMessage has finished."));
        }

        _shutdown.Dispose();
        _slotFreed.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_shutdown.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var request))
                {
                    var connection = _currentConnection();
                    if (connection is null || !connection.Client.IsConnected)
                    {
                        Fail(request, new SangoException(SangoErrorIds.NotConnected, SangoErrorKind.ConnectionError,
                            $"The message for '{request.Message.Topic}' was not sent: the session is not connected.", request.Source,
                            "Run Connect-Sango again, then publish again."));
                        continue;
                    }

                    var window = request.Message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce
                        ? AtMostOnceWindow
                        : Math.Min(connection.BrokerReceiveMaximum, AtLeastOnceWindowCap);
                    while (Volatile.Read(ref _inFlight) >= window)
                    {
                        await _slotFreed.WaitAsync(_shutdown.Token).ConfigureAwait(false);
                    }

                    Interlocked.Increment(ref _inFlight);
                    Send(connection, request);
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Session closing.
        }
    }

    private void Send(ConnectedClient connection, PublishRequest request)
    {
        // PublishAsync does not apply the client's timeout: without a deadline a lost PUBACK waits forever.
        var deadline = new CancellationTokenSource(_ackTimeout);
        Task<MqttClientPublishResult> task;
        try
        {
            task = connection.Client.PublishAsync(request.Message, deadline.Token);
        }
        catch (Exception exception)
        {
            deadline.Dispose();
            Finish(connection, request, null, exception, timedOut: false);
            return;
        }

        task.ContinueWith(
            static (completed, state) =>
            {
                var (self, conn, req, cts) = ((PublishPipeline, ConnectedClient, PublishRequest, CancellationTokenSource))state!;
                var timedOut = cts.IsCancellationRequested;
                cts.Dispose();
                if (completed.IsCompletedSuccessfully)
                {
                    self.Finish(conn, req, completed.Result, null, false);
                }
                else
                {
                    self.Finish(conn, req, null, completed.Exception?.GetBaseException() ?? new OperationCanceledException(), timedOut);
                }
            },
            (this, connection, request, deadline),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Finish(ConnectedClient connection, PublishRequest request, MqttClientPublishResult? result, Exception? exception, bool timedOut)
    {
        Interlocked.Decrement(ref _inFlight);
        if (_slotFreed.CurrentCount == 0)
        {
            // Wake the writer if it waits for a slot; a rare extra count only costs it one more check.
            _slotFreed.Release();
        }

        var message = request.Message;
        var topic = message.Topic;
        var qos = (int)message.QualityOfServiceLevel;
        if (exception is null && result is not null)
        {
            if (result.IsSuccess)
            {
                _onPublished(request);
                var reason = qos == 0 ? "Sent" : result.ReasonCode.ToString();
                request.Tracker?.Complete(new PublishOutcome(request,
                    new SangoPublishResult(topic, request.PayloadBytes, qos, message.Retain, connection.Endpoint.ToString(), reason, result.PacketIdentifier),
                    null));
                return;
            }

            var because = string.IsNullOrEmpty(result.ReasonString) ? string.Empty : $" ({result.ReasonString})";
            Fail(request, new SangoException(SangoErrorIds.PublishRejected, SangoErrorKind.SecurityError,
                $"The broker at {connection.Endpoint} refused the message for '{topic}': {result.ReasonCode} ({(int)result.ReasonCode}){because}.",
                request.Source,
                result.ReasonCode == MQTTnet.MqttClientPublishReasonCode.NotAuthorized
                    ? "The user may not publish to this topic: check the broker's access rules or publish to a topic you are allowed to use."
                    : "Check the broker's reason; the message was not accepted."));
            return;
        }

        if (timedOut)
        {
            Fail(request, new SangoException(SangoErrorIds.PublishTimeout, SangoErrorKind.OperationTimeout,
                $"The broker at {connection.Endpoint} did not acknowledge the message for '{topic}' within {_ackTimeout.TotalSeconds:0} s.",
                request.Source, "The connection may be broken; reconnect and publish again."));
            return;
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
            "Reconnect with Connect-Sango and publish again.", exception));
    }

    private static void Fail(PublishRequest request, SangoException error) =>
        request.Tracker?.Complete(new PublishOutcome(request, null, error));
}
