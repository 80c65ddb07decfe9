namespace SangoPS.Publishing;

/// <summary>One -Batch message ready to send: its topic, the JSON array, and the inputs it carries (the targets of any error).</summary>
internal sealed record PackedBatch(string Topic, byte[] Payload, object?[] Sources);
