using System.Net;
using MQTTnet.Channel;

namespace SangoPS.Transport;

/// <summary>
/// Sits between MQTTnet and the socket (or TLS) stream and turns many small packet writes into few large ones.
/// </summary>
/// <remarks>
/// MQTTnet writes every packet with its own awaited socket send, which costs a system call (and, under TLS, a
/// record) per message: at QoS 0 that send is most of the cost of a publish. Here a write only copies the bytes
/// into a pending buffer; one flush loop on the thread pool sends whatever has accumulated while its previous send
/// was in progress. When the connection is idle a packet goes out at once (no Nagle-like delay); under load the
/// sends grow to many packets each. Writers wait only when more than <see cref="HighWaterBytes"/> are pending.
/// A failed send closes the inner stream, so MQTTnet's reader sees the connection end and reports it lost;
/// later writes fail with that error. Closing this stream first sends what is pending (bounded in time).
/// </remarks>
internal sealed class CoalescingWriteStream : Stream, IMqttClientStreamEndPoints
{
    /// <summary>How many bytes may wait before a writer has to wait for the flush loop.</summary>
    public const int HighWaterBytes = 256 * 1024;

    /// <summary>During a <see cref="Hold"/>, a send starts anyway once this much waits: a long burst goes out in
    /// 32 KB sends (hundreds of small packets each) instead of waiting for its end.</summary>
    public const int HoldLimitBytes = 32 * 1024;

    private static readonly TimeSpan CloseFlushLimit = TimeSpan.FromSeconds(5);

    private readonly Stream _inner;
    private readonly object _gate = new();
    private byte[] _pending = new byte[16 * 1024];
    private byte[]? _spare = new byte[16 * 1024];
    private int _pendingLength;
    private bool _flushing;
    private int _holds;
    private bool _closed;
    private Exception? _fault;

    // Completed (and replaced) whenever the flush loop takes a chunk, ends, or fails; waiters re-check their condition.
    private TaskCompletionSource? _progress;

    public CoalescingWriteStream(Stream inner, EndPoint? localEndPoint, EndPoint? remoteEndPoint)
    {
        _inner = inner;
        LocalEndPoint = localEndPoint!;
        RemoteEndPoint = remoteEndPoint!;
    }

    public EndPoint LocalEndPoint { get; }

    public EndPoint RemoteEndPoint { get; }

    /// <summary>Sends made to the inner stream; with <see cref="PacketWrites"/>, shows how much coalescing happened.</summary>
    public long InnerWrites { get; private set; }

    /// <summary>Writes MQTTnet made to this stream.</summary>
    public long PacketWrites { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => !_closed;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task? wait = null;
            var startFlush = false;
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_flushing && _pendingLength >= HighWaterBytes)
                {
                    wait = ProgressTask();
                }
                else
                {
                    Append(buffer.Span);
                    PacketWrites++;
                    startFlush = !_flushing && (_holds == 0 || _pendingLength >= HoldLimitBytes);
                    _flushing |= startFlush;
                }
            }

            if (wait is null)
            {
                if (startFlush)
                {
                    StartFlushLoop();
                }

                return;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Lets writes accumulate without sending until <see cref="ReleaseAsync"/>: the publish writer holds while it
    /// has more messages at hand, so a burst leaves in one send and no thread-pool hop is needed per message.
    /// </summary>
    public void Hold()
    {
        lock (_gate)
        {
            _holds++;
        }
    }

    /// <summary>Ends a <see cref="Hold"/>; the last one sends what accumulated, on the caller's thread.</summary>
    public Task ReleaseAsync()
    {
        lock (_gate)
        {
            _holds--;
            if (_holds > 0 || _flushing || _pendingLength == 0 || _fault is not null || _closed)
            {
                return Task.CompletedTask;
            }

            _flushing = true;
        }

        return FlushLoopAsync();
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Completes when everything written so far has been handed to the inner stream.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_fault is not null)
                {
                    throw Unusable();
                }

                if (!_flushing && _pendingLength == 0)
                {
                    return;
                }

                if (!_flushing)
                {
                    _flushing = true;
                    StartFlushLoop();
                }

                wait = ProgressTask();
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
            }

            try
            {
                // What MQTTnet wrote last (a DISCONNECT, the final publishes) is still to be sent.
                using var limit = new CancellationTokenSource(CloseFlushLimit);
                FlushAsync(limit.Token).GetAwaiter().GetResult();
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException)
            {
                // The connection is already gone or stuck; closing is all that is left to do.
            }
            finally
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private async Task FlushLoopAsync()
    {
        try
        {
            while (true)
            {
                byte[] chunk;
                int length;
                lock (_gate)
                {
                    if (_pendingLength == 0)
                    {
                        _flushing = false;
                        SignalProgress();
                        return;
                    }

                    chunk = _pending;
                    length = _pendingLength;
                    _pending = _spare ?? new byte[chunk.Length];
                    _spare = null;
                    _pendingLength = 0;
                    SignalProgress();
                }

                await _inner.WriteAsync(chunk.AsMemory(0, length)).ConfigureAwait(false);
                lock (_gate)
                {
                    InnerWrites++;
                    _spare = chunk;
                }
            }
        }
        catch (Exception exception)
        {
            lock (_gate)
            {
                _fault = exception;
                _flushing = false;
                _pendingLength = 0;
                SignalProgress();
            }

            // MQTTnet's reader then ends, which is how the session learns that the connection is lost.
            try
            {
                _inner.Dispose();
            }
            catch (Exception disposeFailure) when (disposeFailure is IOException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Runs the flush loop on the thread pool, so a writer never waits for a send.</summary>
    private void StartFlushLoop() =>
        ThreadPool.UnsafeQueueUserWorkItem(static stream => _ = stream.FlushLoopAsync(), this, preferLocal: false);

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pendingLength + bytes.Length > _pending.Length)
        {
            var grown = new byte[Math.Max(_pending.Length * 2, _pendingLength + bytes.Length)];
            _pending.AsSpan(0, _pendingLength).CopyTo(grown);
            _pending = grown;
        }

        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private Task ProgressTask()
    {
        _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _progress.Task;
    }

    private void SignalProgress()
    {
        var progress = _progress;
        _progress = null;
        progress?.TrySetResult();
    }

    private void ThrowIfUnusable()
    {
        if (_fault is not null || _closed)
        {
            throw Unusable();
        }
    }

    private IOException Unusable() => _fault switch
    {
        null => new IOException("The connection is closed."),
        IOException io => new IOException(io.Message, io.InnerException ?? io),
        _ => new IOException(_fault.Message, _fault),
    };
}
