namespace SangoPS.Errors;

/// <summary>The ErrorIds users can match on in scripts; documented in docs/about_SangoPS.md.</summary>
public static class SangoErrorIds
{
    public const string NoSession = "NoSession";
    public const string SessionClosed = "SessionClosed";
    public const string InvalidSession = "InvalidSession";
    public const string SessionNotFound = "SessionNotFound";
    public const string NoSpool = "NoSpool";
    public const string SpoolNotFound = "SpoolNotFound";
    public const string InvalidEndpoint = "InvalidEndpoint";
    public const string InvalidTopic = "InvalidTopic";
    public const string InvalidTopicFilter = "InvalidTopicFilter";
    public const string PayloadTooLarge = "PayloadTooLarge";
    public const string PayloadNotSerializable = "PayloadNotSerializable";
    public const string InvalidPayload = "InvalidPayload";
    public const string PublishRejected = "PublishRejected";
    public const string PublishFailed = "PublishFailed";
    public const string PublishTimeout = "PublishTimeout";
    public const string SubscribeRejected = "SubscribeRejected";
    public const string ConnectFailed = "ConnectFailed";
    public const string ConnectTimeout = "ConnectTimeout";
    public const string AuthenticationFailed = "AuthenticationFailed";
    public const string ConnectRefused = "ConnectRefused";
    public const string CertificateValidationFailed = "CertificateValidationFailed";
    public const string InvalidJsonPayload = "InvalidJsonPayload";
    public const string ReceiveTimeout = "ReceiveTimeout";
    public const string LocalBrokerFailed = "LocalBrokerFailed";
    public const string NotConnected = "NotConnected";
    public const string OperationFailed = "OperationFailed";
    public const string QueueFull = "QueueFull";
    public const string MessagesNotDelivered = "MessagesNotDelivered";
    public const string CaFileInvalid = "CaFileInvalid";
    public const string ClientCertificateNotFound = "ClientCertificateNotFound";
    public const string ClientCertificateInvalid = "ClientCertificateInvalid";
    public const string ClientCertificateAmbiguous = "ClientCertificateAmbiguous";
    public const string ClientKeyPasswordRequired = "ClientKeyPasswordRequired";
    public const string CertificateFileInvalid = "CertificateFileInvalid";
}
