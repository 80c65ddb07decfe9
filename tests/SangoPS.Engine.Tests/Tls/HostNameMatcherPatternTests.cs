using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>
/// One DNS pattern against one host name. The first block is curl's tests/unit/unit1397.c (current table, then the
/// older list), as (pattern, host); where SangoPS is stricter than curl the line says so and why.
/// </summary>
public class HostNameMatcherPatternTests
{
    private static readonly string LongLabel = new string('A', 60) + new string('B', 60) + new string('C', 60) + new string('D', 60) + new string('E', 60);

    [Theory]
    // curl unit1397.c, current table.
    [InlineData("", "", false)]
    [InlineData("", "a", false)]
    [InlineData("b", "", false)]
    [InlineData("b", "a", false)]
    [InlineData("bb", "aa", false)]
    [InlineData("\u00ff", "\u00ff", false)] // curl: match. A certificate name is ASCII only; only the dialled name is mapped (IDNA).
    [InlineData("\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54", "localhost", false)] // fullwidth 'localhost' in a certificate
    [InlineData("victim\u3002test", "victim.test", false)] // an ideographic full stop in a certificate
    [InlineData("*.victim\u3002test", "a.victim.test", false)]
    [InlineData("xn--bcher-kva.example", "b\u00fccher.example", true)] // the dialled Unicode name is mapped to its xn-- form
    [InlineData("aa.aa.bb", "aa.aa.aa", false)]
    [InlineData("aa.aa.aa", "aa.aa.aa", true)]
    [InlineData("*.aa.bb", "aa.aa.aa", false)]
    [InlineData("*.aa.aa", "aa.aa.aa", true)]
    [InlineData("192.168.0.1", "192.168.0.1", false)] // curl: match. Here an IP host only matches an iPAddress entry.
    [InlineData("*.168.0.1", "192.168.0.1", false)]
    [InlineData("*.0.1", "192.168.0.1", false)]
    [InlineData("*.ello", "h.ello", false)]
    [InlineData("*.ello", "h.ello.", false)]
    [InlineData("*.ello.", "h.ello", false)]
    [InlineData("*.e.llo", "h.e.llo", true)]
    [InlineData(" *.e.llo", "h.e.llo", false)]
    [InlineData("*.e.llo", " h.e.llo", false)] // curl: match. A space is no host name character.
    [InlineData("*.e.llo", "h.e.llo.", true)]
    [InlineData("*.e.llo", "*.e.llo.", false)] // curl: match. "*" is no host name character.
    [InlineData("*.e.llo", "************.e.llo.", false)] // curl: match. Same reason.
    [InlineData("*.e.llo", "\u00fe\u00fe.e.llo.", true)]
    [InlineData("*.e.llo.", "h.e.llo.", true)]
    [InlineData("*.e.llo.", "h.e.llo", true)]
    [InlineData("*.e.llo.", ".h.e.llo", false)]
    [InlineData("*.*.llo.", "h.e.llo", false)]
    [InlineData("h.*.llo", "h.e.llo", false)]
    [InlineData("h.e.*", "h.e.llo", false)]
    [InlineData("*.ello", "hello", false)]
    [InlineData("**llo", "hello", false)]
    [InlineData("*.example.com", "bar.foo.example.com", false)]
    [InlineData("*.example.com", "foo.example.com", true)]
    [InlineData("b*z.example.net", "baz.example.net", false)]
    [InlineData("*baz.example.net", "foobaz.example.net", false)]
    [InlineData("x*.example.local", "xn--l8j.example.local", false)]
    [InlineData("*.example.net", "xn--l8j.example.net", true)]
    [InlineData("*j.example.net", "xn--l8j.example.net", false)]
    [InlineData("xn--l8j.example.net", "xn--l8j.example.net", true)]
    [InlineData("xn--l8j.*.net", "xn--l8j.example.net", false)]
    [InlineData("*.example.net", "xl8j.example.net", true)]
    [InlineData("*::3285:a9ff:fe46:b619", "fe80::3285:a9ff:fe46:b619", false)]
    [InlineData("fe80::3285:a9ff:fe46:b619", "fe80::3285:a9ff:fe46:b619", false)] // curl: match. IP hosts need an iPAddress entry.
    // curl unit1397.c, older list.
    [InlineData("www.example.com", "www.example.com", true)]
    [InlineData("xxx*.example.com", "xxxwww.example.com", false)] // old curl: match. No partial-label wildcards (RFC 9525).
    [InlineData("xxx.example.com", "www.example.com", false)]
    [InlineData("*", "www.example.com", false)]
    [InlineData("*.*.com", "www.example.com", false)]
    [InlineData("*.com", "example.com", false)]
    [InlineData("*fail.com", "example.com", false)]
    [InlineData("*.example.", "www.example.", false)]
    [InlineData("*.example.", "www.example", false)]
    [InlineData("", "www", false)]
    [InlineData("*", "www", false)]
    [InlineData("www.example.com", "192.168.0.0", false)]
    // SangoPS rules.
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", "FOO.EXAMPLE.COM", true)]
    [InlineData("*.EXAMPLE.com", "foo.example.COM", true)]
    [InlineData("*.example.com", "foo.example.com.", true)]
    [InlineData("*.example.com.", "foo.example.com", true)]
    [InlineData("*.example.com", "foo.example.com..", false)]
    [InlineData("example.com..", "example.com", false)]
    [InlineData("*.example.com", "foo..example.com", false)]
    [InlineData("f*.example.com", "foo.example.com", false)]
    [InlineData("*oo.example.com", "foo.example.com", false)]
    [InlineData("*.com", "foo.com", false)]
    [InlineData("*.local", "printer.local", false)]
    [InlineData("*", "localhost", false)]
    [InlineData("*.", "localhost.", false)]
    [InlineData("localhost", "localhost", true)]
    [InlineData("127.0.0.1", "127.0.0.1", false)]
    [InlineData("127.0.0.1", "127.0.0.1.", false)]
    [InlineData("::1", "::1", false)]
    [InlineData("*.sango.test", "[::1]", false)]
    [InlineData("*.co.uk", "example.co.uk", true)]
    [InlineData("*.sango.test", "mqtt_broker.sango.test", true)]
    [InlineData("*.sango.test", "bad host.sango.test", false)]
    // Internationalised names: the dialled name is mapped to its xn-- form; a certificate name must already be in it (ASCII only).
    [InlineData("*.b\u00fccher.example", "a.b\u00fccher.example", false)] // a certificate carries the xn-- form, never Unicode
    [InlineData("*.b\u00fccher.example", "a.xn--bcher-kva.example", false)]
    [InlineData("*.xn--bcher-kva.example", "a.b\u00fccher.example", true)]
    [InlineData("*.xn--bcher-kva.example", "A.XN--BCHER-KVA.EXAMPLE.", true)]
    [InlineData("*.b\u00fccher.example", "B\u00dcCHER.example", false)]
    [InlineData("*.b\u00fccher.example", "a.b.b\u00fccher.example", false)]
    [InlineData("*.b\u00fccher.example", "a.buecher.example", false)]
    [InlineData("b\u00fccher.example", "B\u00dcCHER.EXAMPLE", false)]
    [InlineData("xn--bcher-kva.example", "B\u00dcCHER.EXAMPLE", true)]
    [InlineData("*.example.com", "b\u00fccher.example.com", true)]
    [InlineData("xn--*.example.com", "xn--bcher-kva.example.com", false)]
    [InlineData("xn--*.b\u00fccher.example", "xn--l8j.b\u00fccher.example", false)]
    public void MatchesPattern_follows_RFC_9525(string pattern, string hostName, bool expected)
    {
        Assert.Equal(expected, HostNameMatcher.MatchesPattern(pattern, hostName));
    }

    [Fact]
    public void A_wildcard_covers_a_very_long_label_as_in_curl()
    {
        Assert.True(HostNameMatcher.MatchesPattern("*.e.llo", LongLabel + ".e.llo."));
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => HostNameMatcher.MatchesPattern(null!, "a.example.com"));
        Assert.Throws<ArgumentNullException>(() => HostNameMatcher.MatchesPattern("*.example.com", null!));
    }
}
