using SangoPS.Endpoints;
using SangoPS.Errors;
using Xunit;

namespace SangoPS.Engine.Tests.Endpoints;

public class SangoEndpointTests
{
    [Theory]
    [InlineData("broker.example", "mqtts://broker.example:8883")]
    [InlineData("broker.example:1234", "mqtts://broker.example:1234")]
    [InlineData("mqtt://broker.example", "mqtt://broker.example:1883")]
    [InlineData("mqtts://broker.example", "mqtts://broker.example:8883")]
    [InlineData("MQTT://Broker.Example:1884", "mqtt://broker.example:1884")]
    [InlineData("ws://broker.example", "ws://broker.example:80/mqtt")]
    [InlineData("wss://broker.example", "wss://broker.example:443/mqtt")]
    [InlineData("wss://broker.example:8081/ws", "wss://broker.example:8081/ws")]
    [InlineData("127.0.0.1:1883", "mqtts://127.0.0.1:1883")]
    [InlineData("mqtt://[::1]:1883", "mqtt://[::1]:1883")]
    [InlineData("  mqtt://a.b  ", "mqtt://a.b:1883")]
    [InlineData("wss://broker.example/mqtt?tenant=a&token=b", "wss://broker.example:443/mqtt?tenant=a&token=b")] // kept, never dropped
    [InlineData("ws://broker.example?x=1", "ws://broker.example:80/mqtt?x=1")]
    public void Endpoints_parse_to_their_canonical_form(string text, string expected) =>
        Assert.Equal(expected, SangoEndpoint.Parse(text).ToString());

    [Fact]
    public void A_bare_host_means_tls()
    {
        var endpoint = SangoEndpoint.Parse("sango.example");
        Assert.True(endpoint.UseTls);
        Assert.Equal(EndpointTransport.Tcp, endpoint.Transport);
        Assert.Equal(8883, endpoint.Port);
    }

    [Theory]
    [InlineData("ws://h", false, EndpointTransport.WebSocket)]
    [InlineData("wss://h", true, EndpointTransport.WebSocket)]
    [InlineData("mqtt://h", false, EndpointTransport.Tcp)]
    public void Scheme_decides_tls_and_transport(string text, bool tls, EndpointTransport transport)
    {
        var endpoint = SangoEndpoint.Parse(text);
        Assert.Equal(tls, endpoint.UseTls);
        Assert.Equal(transport, endpoint.Transport);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("http://broker.example", "scheme")]
    [InlineData("mqtt://user:secret@broker.example", "-Credential")]
    [InlineData("mqtt://broker.example/path", "path")]
    [InlineData("mqtt://", "valid")]
    [InlineData("mqtt://broker.example?x=1", "query")]
    [InlineData("wss://broker.example/mqtt#part", "fragment")]
    public void Bad_endpoints_are_refused_with_the_reason(string text, string reasonWord)
    {
        var error = Assert.Throws<SangoException>(() => SangoEndpoint.Parse(text));
        Assert.Equal(SangoErrorIds.InvalidEndpoint, error.ErrorId);
        Assert.Equal(SangoErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(reasonWord, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_password_in_the_uri_is_not_repeated_in_the_error()
    {
        var error = Assert.Throws<SangoException>(() => SangoEndpoint.Parse("mqtt://user:secret@broker.example"));
        Assert.Contains("-Credential", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", (string)error.Target!, StringComparison.Ordinal);
        Assert.Contains("mqtt://***@broker.example", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user:secret@broker.example:8883")]
    [InlineData("user:secret@broker.example")]
    [InlineData("wss://user:secret@broker.example/mqtt")]
    public void A_password_in_an_endpoint_with_or_without_a_scheme_is_redacted(string text)
    {
        var error = Assert.Throws<SangoException>(() => SangoEndpoint.Parse(text));
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", (string)error.Target!, StringComparison.Ordinal);
        Assert.Contains("***@broker.example", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wss://broker.example/a@b", "wss://broker.example/a@b")] // an '@' in the path is no user info
    [InlineData("broker.example", "broker.example")]
    public void Redact_leaves_endpoints_without_user_info_alone(string text, string expected) =>
        Assert.Equal(expected, SangoEndpoint.Redact(text));

    [Fact]
    public void Endpoints_compare_case_insensitively() =>
        Assert.Equal(SangoEndpoint.Parse("MQTT://A.example"), SangoEndpoint.Parse("mqtt://a.example:1883"));
}
