namespace SangoPS.Errors;

/// <summary>
/// What kind of failure an error is. The library has no PowerShell types, so the cmdlet layer maps these
/// onto PowerShell's ErrorCategory in one place.
/// </summary>
public enum SangoErrorKind
{
    InvalidArgument,
    ConnectionError,
    AuthenticationError,
    SecurityError,
    OperationTimeout,
    LimitsExceeded,
    QuotaExceeded,
    ObjectNotFound,
    InvalidOperation,
    ProtocolError,
}
