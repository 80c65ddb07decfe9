namespace SangoPS.Publishing;

/// <summary>
/// Deadlines for acknowledgements without a timer per message: every publish sent within the same second
/// shares one token that fires after the acknowledgement timeout plus at most a second. At thousands of
/// messages a second this replaces thousands of timers with one.
/// </summary>
internal sealed class AckDeadlines : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly object _gate = new();
    private readonly Queue<CancellationTokenSource> _pending = new();
    private CancellationTokenSource? _current;
    private long _currentSecond = -1;

    public AckDeadlines(TimeSpan timeout)
    {
        _timeout = timeout;
    }

    public CancellationToken Next()
    {
        var second = Environment.TickCount64 / 1000;
        lock (_gate)
        {
            if (second != _currentSecond || _current is null)
            {
                // Sources are disposed once they have fired; MQTTnet's registrations on them are gone by then.
                while (_pending.TryPeek(out var oldest) && oldest.IsCancellationRequested)
                {
                    _pending.Dequeue().Dispose();
                }

                _current = new CancellationTokenSource(_timeout + TimeSpan.FromSeconds(1));
                _pending.Enqueue(_current);
                _currentSecond = second;
            }

            return _current.Token;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            while (_pending.TryDequeue(out var source))
            {
                source.Dispose();
            }

            _current = null;
        }
    }
}
