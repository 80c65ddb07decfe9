namespace SangoPS.Publishing;

/// <summary>
/// Packs JSON samples into one JSON array (<c>[s1,s2,…]</c>) that never exceeds a payload limit, so one message
/// carries as many samples as fit: a hosted broker counts messages, not samples.
/// </summary>
internal sealed class SampleBatch
{
    private readonly List<object?> _sources = new();
    private byte[] _buffer = new byte[4096];
    private int _length;

    public SampleBatch(int maxSamples) => MaxSamples = maxSamples;

    /// <summary>At most this many samples per message (int.MaxValue: as many as fit).</summary>
    public int MaxSamples { get; }

    public int Count => _sources.Count;

    /// <summary>Payload bytes of the batch as it stands (brackets included).</summary>
    public int PayloadBytes => Count == 0 ? 0 : _length + 1;

    public bool IsFull => Count >= MaxSamples;

    /// <summary>Whether one sample of <paramref name="sampleBytes"/> fits in a message of its own.</summary>
    public static bool FitsAlone(int sampleBytes, int maxPayloadBytes) => sampleBytes + 2 <= maxPayloadBytes;

    /// <summary>Adds the sample if the array stays within <paramref name="maxPayloadBytes"/> and below MaxSamples.</summary>
    public bool TryAdd(ReadOnlySpan<byte> sampleJson, object? source, int maxPayloadBytes)
    {
        // "[" + sample, or "," + sample; the closing "]" is counted too.
        var grown = _length + 1 + sampleJson.Length;
        if (IsFull || grown + 1 > maxPayloadBytes)
        {
            return false;
        }

        if (grown > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, grown));
        }

        _buffer[_length] = Count == 0 ? (byte)'[' : (byte)',';
        sampleJson.CopyTo(_buffer.AsSpan(_length + 1));
        _length = grown;
        _sources.Add(source);
        return true;
    }

    /// <summary>Returns the JSON array and the inputs it carries, and starts an empty batch.</summary>
    public (byte[] Payload, object?[] Sources) Take()
    {
        var payload = new byte[_length + 1];
        _buffer.AsSpan(0, _length).CopyTo(payload);
        payload[_length] = (byte)']';
        var sources = _sources.ToArray();
        _sources.Clear();
        _length = 0;
        return (payload, sources);
    }
}
