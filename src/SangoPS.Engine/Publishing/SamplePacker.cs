namespace SangoPS.Publishing;

/// <summary>
/// Packs Publish-SangoMessage -Batch inputs into as few messages as fit: a message (a JSON array, see
/// <see cref="SampleBatch"/>) is complete when the next input goes to another topic, when it holds -BatchSize
/// inputs, or when the next input would not fit in the room the payload limit leaves. Used on one pipeline thread.
/// </summary>
internal sealed class SamplePacker
{
    private readonly SampleBatch _batch;
    private readonly List<PackedBatch> _ready = new(2);
    private string _topic = string.Empty;

    public SamplePacker(int maxSamples) => _batch = new SampleBatch(maxSamples);

    /// <summary>Inputs packed so far.</summary>
    public long SamplesPacked { get; private set; }

    /// <summary>
    /// Adds one input (its JSON) bound for <paramref name="topic"/>, where a message may hold <paramref name="room"/>
    /// payload bytes (the caller has checked that the sample fits alone). Returns the messages completed by it:
    /// none, one or two; the list is reused by the next call.
    /// </summary>
    public IReadOnlyList<PackedBatch> Add(string topic, byte[] sampleJson, object? source, int room)
    {
        _ready.Clear();
        if (_batch.Count > 0 && !string.Equals(_topic, topic, StringComparison.Ordinal))
        {
            // Inputs bound to another topic (by property name) start a message of their own.
            _ready.Add(Take());
        }

        _topic = topic;
        if (!_batch.TryAdd(sampleJson, source, room))
        {
            _ready.Add(Take());
            _batch.TryAdd(sampleJson, source, room);
        }

        SamplesPacked++;
        if (_batch.IsFull)
        {
            _ready.Add(Take());
        }

        return _ready;
    }

    /// <summary>The message being packed, or null when it is empty: the pipeline ended or changed session.</summary>
    public PackedBatch? Flush() => _batch.Count > 0 ? Take() : null;

    private PackedBatch Take()
    {
        var (payload, sources) = _batch.Take();
        return new PackedBatch(_topic, payload, sources);
    }
}
