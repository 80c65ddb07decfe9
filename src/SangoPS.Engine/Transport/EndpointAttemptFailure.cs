using SangoPS.Endpoints;
using SangoPS.Errors;

namespace SangoPS.Transport;

/// <summary>Why one endpoint could not be reached, in the words and kind a user needs.</summary>
internal sealed class EndpointAttemptFailure
{
    public EndpointAttemptFailure(SangoEndpoint endpoint, string errorId, SangoErrorKind kind, string reason, object? target = null)
    {
        Endpoint = endpoint;
        ErrorId = errorId;
        Kind = kind;
        Reason = reason;
        Target = target;
    }

    public SangoEndpoint Endpoint { get; }

    public string ErrorId { get; }

    public SangoErrorKind Kind { get; }

    public string Reason { get; }

    /// <summary>Extra evidence for the error record, e.g. the certificate report of a refused server.</summary>
    public object? Target { get; }
}
