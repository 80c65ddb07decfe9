using SangoPS.Transport;
using Xunit;

namespace SangoPS.Engine.Tests.Transport;

public sealed class CoalescingWriteStreamTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan NoSendWindow = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Writes_made_while_a_send_is_in_progress_leave_together_in_order()
    {
        var inner = new GatedStream();
        using var stream = new CoalescingWriteStream(inner, null, null);

        await stream.WriteAsync(new byte[] { 0 });
        await inner.FirstWriteStarted.WaitAsync(Bound);

        // The first send is held open by the gate: these only queue, and every write returns at once.
        for (byte i = 1; i <= 100; i++)
        {
            await stream.WriteAsync(new[] { i }).AsTask().WaitAsync(Bound);
        }

        inner.Open();
        await stream.FlushAsync().WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 101).Select(i => (byte)i), inner.Written);
        Assert.Equal(2, inner.Writes);
        Assert.Equal(101, stream.PacketWrites);
        Assert.Equal(2, stream.InnerWrites);
    }

    [Fact]
    public async Task A_hold_keeps_writes_until_it_is_released_then_sends_them_in_one_write()
    {
        var inner = new GatedStream();
        inner.Open();
        using var stream = new CoalescingWriteStream(inner, null, null);

        stream.Hold();
        for (byte i = 0; i < 50; i++)
        {
            await stream.WriteAsync(new[] { i, i });
        }

        await AssertNothingSentWithinAsync(inner, NoSendWindow);
        await stream.ReleaseAsync().WaitAsync(Bound);

        Assert.Equal(100, inner.Written.Count);
        Assert.Equal(1, inner.Writes);
    }

    [Fact]
    public async Task A_hold_sends_anyway_once_the_hold_limit_is_reached()
    {
        var inner = new GatedStream();
        inner.Open();
        using var stream = new CoalescingWriteStream(inner, null, null);

        stream.Hold();
        await stream.WriteAsync(new byte[CoalescingWriteStream.HoldLimitBytes - 1]);
        await AssertNothingSentWithinAsync(inner, NoSendWindow);
        await stream.WriteAsync(new byte[1]);
        await inner.FirstWriteStarted.WaitAsync(Bound);
        await stream.FlushAsync().WaitAsync(Bound);

        Assert.Equal(CoalescingWriteStream.HoldLimitBytes, inner.Written.Count);
        await stream.ReleaseAsync().WaitAsync(Bound);
    }

    [Fact]
    public async Task A_failed_send_closes_the_inner_stream_and_fails_later_writes()
    {
        var inner = new GatedStream { Failure = new IOException("connection reset") };
        inner.Open();
        using var stream = new CoalescingWriteStream(inner, null, null);

        await stream.WriteAsync(new byte[] { 1 });
        await inner.Disposed.WaitAsync(Bound);

        var error = await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[] { 2 }).AsTask());
        Assert.Contains("connection reset", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closing_sends_what_is_still_pending_first()
    {
        var inner = new GatedStream();
        inner.Open();
        var stream = new CoalescingWriteStream(inner, null, null);
        stream.Hold();
        await stream.WriteAsync(new byte[] { 7, 8, 9 });

        stream.Dispose();

        Assert.Equal(new byte[] { 7, 8, 9 }, inner.Written);
        Assert.True(inner.Disposed.IsCompleted);
    }

    [Fact]
    public async Task A_writer_waits_when_too_much_is_pending_and_goes_on_when_the_send_finishes()
    {
        var inner = new GatedStream();
        using var stream = new CoalescingWriteStream(inner, null, null);
        await stream.WriteAsync(new byte[] { 0 });
        await inner.FirstWriteStarted.WaitAsync(Bound);

        await stream.WriteAsync(new byte[CoalescingWriteStream.HighWaterBytes]).AsTask().WaitAsync(Bound);
        var blocked = stream.WriteAsync(new byte[] { 1 }).AsTask();
        await Task.Yield();
        Assert.False(blocked.IsCompleted);

        inner.Open();
        await blocked.WaitAsync(Bound);
        await stream.FlushAsync().WaitAsync(Bound);
        Assert.Equal(CoalescingWriteStream.HighWaterBytes + 2, inner.Written.Count);
    }

    /// <summary>An inner stream whose writes wait for <see cref="Open"/> and that records what reached it.</summary>
    /// <summary>
    /// A send would start on the thread pool right after the write, so a window without any send shows that the
    /// hold kept it back (the only wait in these tests that is a duration: it proves an absence).
    /// </summary>
    private static async Task AssertNothingSentWithinAsync(GatedStream inner, TimeSpan window)
    {
        var first = await Task.WhenAny(inner.FirstWriteStarted, Task.Delay(window));
        Assert.NotSame(inner.FirstWriteStarted, first);
    }

    private sealed class GatedStream : Stream
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<byte> Written { get; } = new();

        public int Writes { get; private set; }

        public Exception? Failure { get; init; }

        public Task FirstWriteStarted => _firstWrite.Task;

        public Task Disposed => _disposed.Task;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Open() => _gate.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // Sending after close would lose the bytes on a real socket: fail like one.
            ObjectDisposedException.ThrowIf(_disposed.Task.IsCompleted, this);
            _firstWrite.TrySetResult();
            await _gate.Task.ConfigureAwait(false);
            if (Failure is not null)
            {
                throw Failure;
            }

            lock (Written)
            {
                Written.AddRange(buffer.ToArray());
                Writes++;
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            base.Dispose(disposing);
        }
    }
}
