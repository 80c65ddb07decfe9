using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Tls;

namespace SangoPS.Transport;

/// <summary>
/// The TLS settings of every connection SangoPS opens, mqtts and wss alike: TLS 1.2 or 1.3 only, the client
/// certificate if there is one, and every certificate decision taken by <see cref="ServerCertificateValidator"/>.
/// </summary>
internal static class TlsClientOptions
{
    /// <param name="targetHost">The name sent as SNI; <see langword="null"/> when the HTTP handler takes it from the Host header.</param>
    /// <param name="onValidating">Sees the <see cref="SslStream"/> being authenticated (the WebSocket handler hides it otherwise).</param>
    public static SslClientAuthenticationOptions Create(string? targetHost, X509Certificate2? clientCertificate,
        ServerCertificateValidator? validator, Action<SslStream>? onValidating = null) => new()
    {
        TargetHost = targetHost,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },

        // The validator decides (its own host-name and trust rules); the platform's revocation check would need
        // the network and its verdict is not used.
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            if (sender is SslStream stream)
            {
                onValidating?.Invoke(stream);
            }

            return validator?.Validate(certificate, chain, errors) ?? errors == SslPolicyErrors.None;
        },
    };
}
