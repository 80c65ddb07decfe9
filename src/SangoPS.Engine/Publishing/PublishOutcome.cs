using SangoPS.Errors;
using SangoPS.Messages;

namespace SangoPS.Publishing;

/// <summary>Either the broker's acceptance or the error, for one request.</summary>
internal sealed class PublishOutcome
{
    public PublishOutcome(PublishRequest request, SangoPublishResult? result, SangoException? error)
    {
        Request = request;
        Result = result;
        Error = error;
    }

    public PublishRequest Request { get; }

    public SangoPublishResult? Result { get; }

    public SangoException? Error { get; }
}
