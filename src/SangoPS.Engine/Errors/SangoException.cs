namespace SangoPS.Errors;

/// <summary>
/// A failure the library can explain: it carries everything the cmdlet layer needs to build an ErrorRecord
/// (id, kind, the offending input and what the user should do), so no cmdlet has to parse exception text.
/// </summary>
public sealed class SangoException : Exception
{
    public SangoException(string errorId, SangoErrorKind kind, string message, object? target = null,
        string? recommendedAction = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    public SangoException()
        : this(SangoErrorIds.OperationFailed, SangoErrorKind.InvalidOperation, "SangoPS operation failed.")
    {
    }

    public SangoException(string message)
        : this(SangoErrorIds.OperationFailed, SangoErrorKind.InvalidOperation, message)
    {
    }

    public SangoException(string message, Exception innerException)
        : this(SangoErrorIds.OperationFailed, SangoErrorKind.InvalidOperation, message, null, null, innerException)
    {
    }

    public string ErrorId { get; }

    public SangoErrorKind Kind { get; }

    public object? Target { get; }

    public string? RecommendedAction { get; }
}
