using System.Globalization;
using SangoPS.Errors;

namespace SangoPS.Endpoints;

/// <summary>
/// One broker address. Parsing lives here so Connect-Sango, Test-SangoCertificate and the tests agree on what
/// "host:port" means: a bare host is mqtts (TLS is the default, never an accident of omission).
/// </summary>
public sealed class SangoEndpoint : IEquatable<SangoEndpoint>
{
    private SangoEndpoint(string scheme, string host, int port, string path)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
        Path = path;
    }

    /// <summary>mqtt, mqtts, ws or wss.</summary>
    public string Scheme { get; }

    public string Host { get; }

    public int Port { get; }

    /// <summary>The WebSocket path ("/mqtt" by default for ws/wss); empty for TCP.</summary>
    public string Path { get; }

    public bool UseTls => Scheme is "mqtts" or "wss";

    public EndpointTransport Transport => Scheme is "ws" or "wss" ? EndpointTransport.WebSocket : EndpointTransport.Tcp;

    public Uri Uri => new(ToString());

    public static SangoEndpoint Parse(string text)
    {
        if (!TryParse(text, out var endpoint, out var problem))
        {
            var shown = Redact(text);
            throw new SangoException(SangoErrorIds.InvalidEndpoint, SangoErrorKind.InvalidArgument,
                $"'{shown}' is not a broker endpoint: {problem}", shown,
                "Give an endpoint as mqtts://host[:port], mqtt://host[:port], wss://host[:port][/path], ws://host[:port][/path] or host[:port] (which means mqtts).");
        }

        return endpoint;
    }

    public static bool TryParse(string? text, out SangoEndpoint endpoint, out string problem)
    {
        endpoint = null!;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "it is empty.";
            return false;
        }

        var trimmed = text.Trim();
        var candidate = trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "mqtts://" + trimmed;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            problem = "it is not a valid URI or host name.";
            return false;
        }

        var scheme = uri.Scheme.ToLowerInvariant();
        if (scheme is not ("mqtt" or "mqtts" or "ws" or "wss"))
        {
            problem = $"the scheme '{uri.Scheme}' is not supported (use mqtt, mqtts, ws or wss).";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            // A password in a URI ends up in logs and history; the credential has its own parameter.
            problem = "user names and passwords do not belong in the endpoint; use -Credential.";
            return false;
        }

        var isWebSocket = scheme is "ws" or "wss";
        if (!isWebSocket && (uri.AbsolutePath.Length > 1 || uri.Query.Length > 0))
        {
            problem = "a path or a query string (?...) is only meaningful for ws:// and wss:// endpoints.";
            return false;
        }

        if (uri.Fragment.Length > 0)
        {
            problem = "a fragment (#...) is never sent to a broker; remove it.";
            return false;
        }

        var port = uri.IsDefaultPort || uri.Port < 0 ? DefaultPort(scheme) : uri.Port;

        // A WebSocket gateway may expect a query string (a token, a tenant): it is kept and sent, never dropped.
        var path = isWebSocket ? (uri.AbsolutePath.Length > 1 ? uri.AbsolutePath : "/mqtt") + uri.Query : string.Empty;
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host;
        endpoint = new SangoEndpoint(scheme, host, port, path);
        return true;
    }

    /// <summary>Hides a password someone typed into an endpoint, so it appears in no error or log.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        // With or without a scheme: 'mqtts://user:pw@host' and 'user:pw@host:8883' both hide what stands before '@'.
        var start = text.IndexOf("://", StringComparison.Ordinal);
        var userInfoStart = start >= 0 ? start + 3 : 0;
        var at = text.IndexOf('@', userInfoStart);
        var end = text.IndexOfAny(['/', '?', '#'], userInfoStart);
        return at >= userInfoStart && (end < 0 || at < end)
            ? string.Concat(text.AsSpan(0, userInfoStart), "***@", text.AsSpan(at + 1))
            : text;
    }

    public static int DefaultPort(string scheme) => scheme switch
    {
        "mqtt" => 1883,
        "mqtts" => 8883,
        "ws" => 80,
        "wss" => 443,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown scheme."),
    };

    public override string ToString()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host;
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}://{host}:{Port}{Path}");
    }

    public bool Equals(SangoEndpoint? other) =>
        other is not null && string.Equals(ToString(), other.ToString(), StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as SangoEndpoint);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(ToString());
}
