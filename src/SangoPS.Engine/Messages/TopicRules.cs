using System.Text;
using SangoPS.Errors;

namespace SangoPS.Messages;

/// <summary>
/// The MQTT spec's rules for topic names (publish) and topic filters (subscribe). MQTTnet's own validation lets
/// U+0000 and lone surrogates through (the broker then drops the connection or delivers under another topic),
/// so every topic is checked here with a strict UTF-8 encoder before anything is sent.
/// </summary>
public static class TopicRules
{
    public const int MaxTopicBytes = 65535;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Returns the UTF-8 length of a valid topic name, else throws InvalidTopic.</summary>
    public static int ValidateTopicName(string? topic)
    {
        var problem = FindTopicNameProblem(topic, out var byteCount);
        if (problem is not null)
        {
            throw new SangoException(SangoErrorIds.InvalidTopic, SangoErrorKind.InvalidArgument,
                $"The topic '{Printable(topic)}' cannot be published to: {problem}", topic,
                "Publish to a concrete topic such as 'site/host1/cpu': not empty, no '+' or '#', no NUL character, at most 65,535 UTF-8 bytes.");
        }

        return byteCount;
    }

    public static string? FindTopicNameProblem(string? topic, out int byteCount)
    {
        byteCount = 0;
        if (string.IsNullOrEmpty(topic))
        {
            return "a topic must not be empty.";
        }

        if (topic.Contains('+', StringComparison.Ordinal) || topic.Contains('#', StringComparison.Ordinal))
        {
            return "the wildcards '+' and '#' are only allowed in subscription filters, not in a topic you publish to.";
        }

        return FindEncodingProblem(topic, out byteCount);
    }

    public static void ValidateTopicFilter(string? filter)
    {
        var problem = FindTopicFilterProblem(filter);
        if (problem is not null)
        {
            throw new SangoException(SangoErrorIds.InvalidTopicFilter, SangoErrorKind.InvalidArgument,
                $"The topic filter '{Printable(filter)}' is not valid: {problem}", filter,
                "Use '+' for exactly one whole level and '#' only as the last level, e.g. 'site/+/cpu' or 'site/#'.");
        }
    }

    public static string? FindTopicFilterProblem(string? filter)
    {
        if (string.IsNullOrEmpty(filter))
        {
            return "a topic filter must not be empty.";
        }

        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#', StringComparison.Ordinal) && (level.Length != 1 || i != levels.Length - 1))
            {
                return "'#' must be a whole level and the last one (as in 'a/b/#').";
            }

            if (level.Contains('+', StringComparison.Ordinal) && level.Length != 1)
            {
                return "'+' must stand for a whole level (as in 'a/+/c'), not part of one.";
            }
        }

        return FindEncodingProblem(filter, out _);
    }

    private static string? FindEncodingProblem(string text, out int byteCount)
    {
        byteCount = 0;
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return "it contains the NUL character U+0000, which MQTT forbids.";
        }

        try
        {
            byteCount = StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            return "it contains a lone UTF-16 surrogate, which is not valid Unicode and cannot be encoded as UTF-8.";
        }

        return byteCount > MaxTopicBytes
            ? $"it is {byteCount:N0} UTF-8 bytes long; MQTT allows at most {MaxTopicBytes:N0}."
            : null;
    }

    /// <summary>Keeps error messages readable when a topic holds control characters or is huge.</summary>
    internal static string Printable(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }

        var builder = new StringBuilder(Math.Min(text.Length, 120));
        foreach (var c in text)
        {
            if (builder.Length >= 100)
            {
                builder.Append('…');
                break;
            }

            builder.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return builder.ToString();
    }
}
