using System.Security.Authentication;
using MQTTnet;
using MQTTnet.Formatter;
using SangoPS.Endpoints;
using SangoPS.Sessions;
using SangoPS.Tls;

namespace SangoPS.Transport;

/// <summary>Turns a session's options and one endpoint into MQTTnet client options.</summary>
internal static class MqttClientOptionsFactory
{
    public static MqttClientOptions Create(SangoSessionOptions options, SangoEndpoint endpoint, SangoProtocolVersion version,
        ServerCertificateValidator? validator)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithClientId(options.ClientId)
            .WithProtocolVersion(version == SangoProtocolVersion.V500 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            .WithTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(options.KeepAliveSeconds))
            .WithCleanSession(options.CleanSession);

        if (version == SangoProtocolVersion.V500 && options.SessionExpirySeconds > 0)
        {
            builder.WithSessionExpiryInterval(options.SessionExpirySeconds);
        }

        if (options.UserName is not null)
        {
            builder.WithCredentials(options.UserName, options.PasswordBytes);
        }

        if (endpoint.Transport == EndpointTransport.WebSocket)
        {
            var uri = $"{(endpoint.UseTls ? "wss" : "ws")}://{UriHost(endpoint.Host)}:{endpoint.Port}{endpoint.Path}";
            builder.WithWebSocketServer(ws =>
            {
                ws.WithUri(uri);
                if (endpoint.UseTls && options.TlsServerName is not null)
                {
                    // .NET's WebSocket client takes the TLS server name (SNI) from the Host header.
                    ws.WithRequestHeaders(new Dictionary<string, string> { ["Host"] = $"{options.TlsServerName}:{endpoint.Port}" });
                }
            });
        }
        else
        {
            builder.WithTcpServer(endpoint.Host, endpoint.Port);
        }

        // TLS is configured last and once: every WithTlsOptions call replaces the earlier settings.
        if (endpoint.UseTls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls()
                    .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                    .WithTargetHost(options.TlsServerName ?? endpoint.Host);
                if (validator is not null)
                {
                    tls.WithCertificateValidationHandler(args => validator.Validate(args.Certificate, args.Chain, args.SslPolicyErrors));
                }

                if (options.ClientCertificate is not null)
                {
                    tls.WithClientCertificates([options.ClientCertificate]);
                }
            });
        }

        var built = builder.Build();

        // A message made for MQTT 5 (with its id property) may be resent over a 3.1.1 connection after a
        // failover; the 3.1.1 encoder then leaves the property out instead of refusing the message.
        built.ValidateFeatures = false;
        return built;
    }

    private static string UriHost(string host) => host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host;
}
