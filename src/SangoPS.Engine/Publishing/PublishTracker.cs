namespace SangoPS.Publishing;

/// <summary>
/// Collects the outcomes of one Publish-SangoMessage invocation. Acknowledgements complete on network threads
/// in any order; the cmdlet takes them on its pipeline thread strictly in input order, so every error and
/// result lines up with the input that caused it.
/// </summary>
internal sealed class PublishTracker : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<long, PublishOutcome> _completed = new();
    private readonly SemaphoreSlim _signal = new(0);
    private long _nextSequence;
    private long _nextToTake;
    private bool _disposed;

    /// <summary>Requests registered and not yet taken.</summary>
    public long Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _nextSequence - _nextToTake;
            }
        }
    }

    public void Register(PublishRequest request)
    {
        lock (_gate)
        {
            request.TrackerSequence = _nextSequence++;
        }
    }

    /// <summary>
    /// Records an outcome, from any thread. After the cmdlet has gone (its pipeline stopped, the tracker disposed)
    /// a message can still settle, for example when its session spools it at close: that outcome has nobody to
    /// tell and is dropped here rather than fail the code that settled it.
    /// </summary>
    public void Complete(PublishOutcome outcome)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _completed[outcome.Request.TrackerSequence] = outcome;
            _signal.Release();
        }
    }

    public bool TryTakeNext(out PublishOutcome outcome)
    {
        lock (_gate)
        {
            if (_completed.Remove(_nextToTake, out outcome!))
            {
                _nextToTake++;
                return true;
            }

            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _signal.Dispose();
        }
    }

    /// <summary>Waits until some outcome completes (or the timeout passes); the caller then takes what is ready.</summary>
    public Task<bool> WaitForCompletionAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _signal.WaitAsync(timeout, cancellationToken);
}
