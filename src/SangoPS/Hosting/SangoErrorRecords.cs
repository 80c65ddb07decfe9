using System.Management.Automation;
using SangoPS.Errors;

namespace SangoPS.Commands;

/// <summary>The one place where the library's errors become PowerShell ErrorRecords.</summary>
internal static class SangoErrorRecords
{
    public static ErrorRecord From(SangoException exception, object? target = null)
    {
        var record = new ErrorRecord(exception, exception.ErrorId, Category(exception.Kind), target ?? exception.Target);
        if (exception.RecommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = exception.RecommendedAction };
        }

        return record;
    }

    public static ErrorRecord Create(string errorId, ErrorCategory category, string message, object? target, string? recommendedAction = null)
    {
        var record = new ErrorRecord(new InvalidOperationException(message), errorId, category, target);
        if (recommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
        }

        return record;
    }

    public static ErrorCategory Category(SangoErrorKind kind) => kind switch
    {
        SangoErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        SangoErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        SangoErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
        SangoErrorKind.SecurityError => ErrorCategory.SecurityError,
        SangoErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        SangoErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        SangoErrorKind.QuotaExceeded => ErrorCategory.QuotaExceeded,
        SangoErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        SangoErrorKind.ProtocolError => ErrorCategory.ProtocolError,
        _ => ErrorCategory.InvalidOperation,
    };
}
