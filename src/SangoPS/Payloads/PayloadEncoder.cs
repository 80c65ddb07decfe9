using System.Collections;
using System.Management.Automation;
using System.Text;
using SangoPS.Errors;
using SangoPS.Messages;

namespace SangoPS.Commands;

/// <summary>
/// Turns whatever reached -Payload into the bytes that are sent: a string as UTF-8, a byte[] as is, a received
/// SangoMessage as its exact bytes (so relaying is lossless), an object that has a Payload property as that
/// property's value (binding by property name), and any other object as compact JSON.
/// </summary>
internal static class PayloadEncoder
{
    // Strict: a string with a lone surrogate has no UTF-8 form, and the lenient encoder would send U+FFFD instead,
    // another text than the one given, without a word.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="depth">How deep objects are written as JSON (ConvertTo-Json's -Depth).</param>
    /// <param name="warner">The cmdlet that warns when an object is deeper than <paramref name="depth"/>.</param>
    public static byte[] Encode(object? payload, int depth = PowerShellJson.DefaultDepth, PSCmdlet? warner = null)
    {
        var value = payload is PSObject wrapped ? Unwrap(wrapped) : payload;
        switch (value)
        {
            case null:
                return [];
            case string text:
                return Utf8Bytes(text, payload);
            case byte[] bytes:
                return bytes;
            case SangoMessage message:
                return message.PayloadBytes;
        }

        return TryGetProperty(payload, "Payload", out var carried) ? Encode(carried, depth, warner) : EncodeJson(payload, depth, warner);
    }

    /// <summary>One sample of a -Batch message: the input's Payload property if it has one, else the input, as JSON.</summary>
    public static byte[] EncodeSample(object? payload, int depth = PowerShellJson.DefaultDepth, PSCmdlet? warner = null) =>
        EncodeJson(TryGetProperty(payload, "Payload", out var carried) ? carried : payload, depth, warner);

    /// <summary>
    /// A property the input object carries (its Payload, its Session), as binding by property name would find
    /// it: pipeline input binds to -Payload by value first, so the whole object arrives here. Hashtables are not
    /// searched for keys.
    /// </summary>
    public static bool TryGetProperty(object? input, string name, out object? value)
    {
        if (input is PSObject { BaseObject: not IDictionary } candidate && candidate.Properties[name] is { } property)
        {
            value = property.Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>
    /// Any value (a string too) as ConvertTo-Json -Compress renders it: for objects, and for -Batch samples so the
    /// message is a valid JSON array whatever the inputs were.
    /// </summary>
    private static byte[] EncodeJson(object? payload, int depth, PSCmdlet? warner)
    {
        try
        {
            return Utf8Bytes(PowerShellJson.ToJson(payload, depth, warner), payload);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException and not PipelineStoppedException and not SangoException)
        {
            var inner = exception is System.Reflection.TargetInvocationException { InnerException: { } cause } ? cause : exception;
            var type = (payload is PSObject wrapped ? wrapped.BaseObject : payload)?.GetType().FullName;
            throw new SangoException(SangoErrorIds.PayloadNotSerializable, SangoErrorKind.InvalidArgument,
                $"The payload of type {type} could not be converted to JSON: {inner.Message}", payload,
                "Publish a string, a byte[] or a simple object (for example a [pscustomobject]).", inner);
        }
    }

    /// <exception cref="SangoException">InvalidPayload: the text holds a lone surrogate.</exception>
    private static byte[] Utf8Bytes(string text, object? source)
    {
        try
        {
            return Utf8.GetBytes(text);
        }
        catch (EncoderFallbackException exception)
        {
            var unit = (int)(exception.CharUnknown != '\0' ? exception.CharUnknown : exception.CharUnknownHigh);
            throw new SangoException(SangoErrorIds.InvalidPayload, SangoErrorKind.InvalidArgument,
                $"The payload text holds a lone surrogate (U+{unit:X4} at position {exception.Index}), which has no UTF-8 form; it was not sent, the other inputs are.",
                source, "Remove or replace the broken character (it often comes from text cut in the middle of an emoji), or publish the bytes you mean as a byte[].",
                exception);
        }
    }

    private static object? Unwrap(PSObject wrapped)
    {
        var baseObject = wrapped.BaseObject;

        // PSCustomObject's base object is a placeholder: the object is its properties.
        return baseObject is PSCustomObject ? wrapped : baseObject;
    }
}
