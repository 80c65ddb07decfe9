using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>
/// Whole certificates against host names: which entry kinds are compared with which host kinds, and the words
/// that explain a mismatch.
/// </summary>
public class HostNameMatcherCertificateTests
{
    [Theory]
    // DNS entries.
    [InlineData("DNS:*.sango.test,DNS:sango.test", "CN=ignored.sango.test", "a.sango.test", "*.sango.test")]
    [InlineData("DNS:*.sango.test,DNS:sango.test", "CN=ignored.sango.test", "sango.test", "sango.test")]
    [InlineData("DNS:*.sango.test,DNS:sango.test", "CN=ignored.sango.test", "a.b.sango.test", null)]
    [InlineData("DNS:a.example,DNS:b.example,DNS:c.example", "", "C.EXAMPLE.", "c.example")]
    [InlineData("DNS:*.example.com", "", "FOO.EXAMPLE.COM.", "*.example.com")]
    [InlineData("DNS:*.com", "", "example.com", null)]
    [InlineData("DNS:f*.example.com", "", "foo.example.com", null)]
    [InlineData("DNS:*.b\u00fccher.example", "", "a.b\u00fccher.example", "*.xn--bcher-kva.example")]
    [InlineData("DNS:*.b\u00fccher.example", "", "b\u00fccher.example", null)]
    // The common name only counts when there is no DNS entry at all.
    [InlineData("", "CN=*.sango.test", "a.sango.test", "*.sango.test")]
    [InlineData("", "CN=*.sango.test", "sango.test", null)]
    [InlineData("", "CN=*.sango.test", "a.b.sango.test", null)]
    [InlineData("", "CN=broker.sango.test", "broker.sango.test", "broker.sango.test")]
    [InlineData("DNS:other.sango.test", "CN=broker.sango.test", "broker.sango.test", null)]
    [InlineData("DNS:*.sango.test", "CN=sango.test", "sango.test", null)]
    [InlineData("IP:127.0.0.1", "CN=localhost", "localhost", "localhost")]
    [InlineData("", "CN=*.com", "example.com", null)]
    [InlineData("", "O=No Common Name", "anything.example", null)]
    // IP hosts: only iPAddress entries, compared as bytes.
    [InlineData("DNS:127.0.0.1", "CN=127.0.0.1", "127.0.0.1", null)]
    [InlineData("IP:127.0.0.1", "CN=x.sango.test", "127.0.0.1", "IP:127.0.0.1")]
    [InlineData("IP:127.0.0.1", "", "127.1", "IP:127.0.0.1")]
    [InlineData("IP:127.0.0.1", "", "127.0.0.2", null)]
    [InlineData("IP:127.0.0.1", "", "::ffff:127.0.0.1", null)]
    [InlineData("IP:0:0:0:0:0:0:0:1", "", "::1", "IP:::1")]
    [InlineData("IP:::1", "", "0:0:0:0:0:0:0:1", "IP:::1")]
    [InlineData("IP:::1", "", "[::1]", "IP:::1")]
    [InlineData("IP:::1", "", "::2", null)]
    [InlineData("IP:fe80::3285:a9ff:fe46:b619", "", "FE80:0:0:0:3285:A9FF:FE46:B619", "IP:fe80::3285:a9ff:fe46:b619")]
    [InlineData("DNS:localhost,IP:127.0.0.1", "", "127.0.0.1", "IP:127.0.0.1")]
    [InlineData("DNS:localhost", "CN=localhost", "127.0.0.1", null)]
    [InlineData("", "CN=10.0.0.1", "10.0.0.1", null)]
    [InlineData("DNS:*.0.0.1", "", "10.0.0.1", null)]
    public void Match_uses_the_right_entries(string subjectAltNames, string subject, string hostName, string? expectedMatch)
    {
        using var certificate = TestCertificates.CreateForNames(subjectAltNames, subject);

        var result = HostNameMatcher.Match(certificate, hostName);

        Assert.Equal(expectedMatch is not null, result.IsMatch);
        Assert.Equal(expectedMatch, result.MatchedName);
        Assert.Equal(hostName, result.HostName);
        Assert.False(string.IsNullOrWhiteSpace(result.Explanation));
    }

    [Fact]
    public void A_wildcard_mismatch_is_explained_in_plain_words()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:*.sango.test,DNS:sango.test", "CN=broker");

        var result = HostNameMatcher.Match(certificate, "a.b.sango.test");

        Assert.Equal(
            "The certificate is for *.sango.test, sango.test but the host name expected was a.b.sango.test. A wildcard covers exactly one label: *.sango.test matches x.sango.test but not a.b.sango.test or sango.test.",
            result.Explanation);
        Assert.Equal(["*.sango.test", "sango.test"], result.DnsNames);
        Assert.Empty(result.IPAddresses);
        Assert.False(result.UsedCommonName);
    }

    [Fact]
    public void A_wildcard_never_covers_its_bare_parent()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:*.sango.test", "");

        var result = HostNameMatcher.Match(certificate, "sango.test");

        Assert.Contains("*.sango.test matches x.sango.test but not sango.test itself", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_wildcard_says_why()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:*.local", "");

        var result = HostNameMatcher.Match(certificate, "printer.local");

        Assert.Contains("*.local is a wildcard that is never accepted", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("whole leftmost label", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void The_common_name_is_used_and_said_when_there_is_no_DNS_entry()
    {
        using var certificate = TestCertificates.CreateForNames("", "CN=*.sango.test");

        var result = HostNameMatcher.Match(certificate, "a.sango.test");

        Assert.True(result.IsMatch);
        Assert.True(result.UsedCommonName);
        Assert.Empty(result.DnsNames);
        Assert.Contains("subject common name", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ignored_common_name_is_pointed_out()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:other.sango.test", "CN=broker.sango.test");

        var result = HostNameMatcher.Match(certificate, "broker.sango.test");

        Assert.False(result.IsMatch);
        Assert.False(result.UsedCommonName);
        Assert.Contains("The certificate is for other.sango.test but the host name expected was broker.sango.test.", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("common name broker.sango.test would match, but it is ignored", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void An_IP_address_written_as_a_DNS_name_is_pointed_out()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:127.0.0.1", "CN=127.0.0.1");

        var result = HostNameMatcher.Match(certificate, "127.0.0.1");

        Assert.False(result.UsedCommonName);
        Assert.StartsWith("The certificate is for DNS:127.0.0.1 but the host name expected was 127.0.0.1.", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("this certificate has none", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1 is written on the certificate as a DNS name", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("IP:127.0.0.1", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void IP_entries_are_listed_and_named_in_the_explanation()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1", "");

        var result = HostNameMatcher.Match(certificate, "10.1.2.3");

        Assert.Equal(["127.0.0.1", "::1"], result.IPAddresses);
        Assert.Equal(["localhost"], result.DnsNames);
        Assert.StartsWith("The certificate is for DNS:localhost, IP:127.0.0.1, IP:::1 but the host name expected was 10.1.2.3.", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void An_internationalised_host_is_shown_in_both_forms()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:*.example.com", "");

        var result = HostNameMatcher.Match(certificate, "a.b\u00fccher.example");

        Assert.Contains("a.b\u00fccher.example (a.xn--bcher-kva.example)", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_without_any_name_says_so()
    {
        using var certificate = TestCertificates.CreateForNames("", "O=No Common Name");

        var result = HostNameMatcher.Match(certificate, "broker.sango.test");

        Assert.Contains("names no host at all", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_host_name_says_so()
    {
        using var certificate = TestCertificates.CreateForNames("DNS:*.sango.test", "");

        var result = HostNameMatcher.Match(certificate, "bad..sango.test");

        Assert.False(result.IsMatch);
        Assert.Contains("'bad..sango.test', which is neither a valid DNS name nor an IP address", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_match_names_the_entry()
    {
        using var certificate = TestCertificates.CreateForNames("IP:127.0.0.1", "");

        var result = HostNameMatcher.Match(certificate, "127.0.0.1");

        Assert.Equal("The certificate is for 127.0.0.1 through its entry IP:127.0.0.1.", result.Explanation);
    }
}
