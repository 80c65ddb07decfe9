using System.Security.Cryptography.X509Certificates;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>
/// Each check of <see cref="CertificateInspector"/>, with certificates made in-process and a fixed check time
/// (<see cref="TestCertificates.Now"/>, 2030-06-15 12:00 UTC).
/// </summary>
public class CertificateInspectorTests
{
    private const string CaFilePath = "/etc/sango/ca.pem";

    [Fact]
    public void A_good_certificate_from_a_trusted_CA_is_valid_and_every_field_is_filled()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf("CN=broker.sango.test", ["DNS:broker.sango.test", "DNS:*.sango.test", "IP:127.0.0.1"], ca);

        var report = Inspect(leaf, "broker.sango.test", ca);

        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
        Assert.Empty(report.Problems);
        Assert.True(report.IsTrusted);
        Assert.True(report.IsTimeValid);
        Assert.True(report.IsHostNameMatch);
        Assert.Equal("broker.sango.test", report.MatchedName);
        Assert.Equal("broker.sango.test", report.HostName);
        Assert.Equal("CN=broker.sango.test", report.Subject);
        Assert.Equal("CN=Sango Test Root CA", report.Issuer);
        Assert.Equal(["broker.sango.test", "*.sango.test"], report.DnsNames);
        Assert.Equal(["127.0.0.1"], report.IPAddresses);
        Assert.Equal(new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc), report.NotBefore);
        Assert.Equal(new DateTime(2031, 1, 1, 0, 0, 0, DateTimeKind.Utc), report.NotAfter);
        Assert.Equal(DateTimeKind.Utc, report.NotAfter.Kind);
        Assert.Equal(199, report.DaysRemaining);
        Assert.Equal("ECDSA P-256", report.KeyAlgorithm);
        Assert.Equal("sha256ECDSA", report.SignatureAlgorithm);
        Assert.Equal(leaf.Thumbprint, report.Thumbprint);
        Assert.Equal(["CN=broker.sango.test", "CN=Sango Test Root CA"], report.Chain);
        Assert.Null(report.Endpoint);
        Assert.Null(report.TlsProtocol);
        Assert.Null(report.CipherSuite);
        Assert.Equal("CN=broker.sango.test for broker.sango.test: valid", report.ToString());
    }

    [Fact]
    public void A_wildcard_and_an_IP_address_name_the_matched_entry()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf("CN=broker.sango.test", ["DNS:*.sango.test", "IP:127.0.0.1"], ca);

        Assert.Equal("*.sango.test", Inspect(leaf, "a.sango.test", ca).MatchedName);
        Assert.Equal("IP:127.0.0.1", Inspect(leaf, "127.0.0.1", ca).MatchedName);
    }

    [Theory]
    [InlineData(TestKey.EcdsaP256, "ECDSA P-256")]
    [InlineData(TestKey.EcdsaP384, "ECDSA P-384")]
    [InlineData(TestKey.Rsa2048, "RSA 2048")]
    public void The_key_algorithm_is_named_with_its_size(TestKey key, string expected)
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca, key: key);

        var report = Inspect(leaf, "broker.sango.test", ca);

        Assert.Equal(expected, report.KeyAlgorithm);
        Assert.Equal("sha256ECDSA", report.SignatureAlgorithm); // the CA signs, and the CA's key is ECDSA
        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
    }

    [Fact]
    public void An_RSA_signature_is_named()
    {
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], key: TestKey.Rsa2048);

        var report = Inspect(leaf, "broker.sango.test", leaf);

        Assert.Equal("sha256RSA", report.SignatureAlgorithm);
        Assert.Equal("RSA 2048", report.KeyAlgorithm);
    }

    [Fact]
    public void A_host_name_mismatch_names_the_host_and_the_certificate_names()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf("CN=broker", ["DNS:*.sango.test", "DNS:sango.test"], ca);

        var report = Inspect(leaf, "a.b.sango.test", ca);

        Assert.False(report.IsValid);
        Assert.False(report.IsHostNameMatch);
        Assert.Null(report.MatchedName);
        Assert.True(report.IsTrusted);
        Assert.True(report.IsTimeValid);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("a.b.sango.test", problem, StringComparison.Ordinal);
        Assert.Contains("*.sango.test, sango.test", problem, StringComparison.Ordinal);
        Assert.Contains("exactly one label", problem, StringComparison.Ordinal);
        Assert.Equal("CN=broker for a.b.sango.test: invalid, 1 problem", report.ToString());
    }

    [Fact]
    public void An_expired_certificate_gives_its_dates_and_today()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(
            subjectAltNames: ["DNS:broker.sango.test"],
            issuer: ca,
            notBefore: new DateTimeOffset(2029, 1, 1, 0, 0, 0, TimeSpan.Zero),
            notAfter: new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var report = Inspect(leaf, "broker.sango.test", ca);

        Assert.False(report.IsValid);
        Assert.False(report.IsTimeValid);
        Assert.True(report.IsTrusted);
        Assert.True(report.IsHostNameMatch);
        Assert.Equal(-166, report.DaysRemaining);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("expired on 2030-01-01 00:00:00 UTC (165 days ago)", problem, StringComparison.Ordinal);
        Assert.Contains("valid from 2029-01-01 00:00:00 UTC to 2030-01-01 00:00:00 UTC", problem, StringComparison.Ordinal);
        Assert.Contains("today is 2030-06-15 12:00:00 UTC", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_not_valid_yet_gives_its_dates_and_today()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(
            subjectAltNames: ["DNS:broker.sango.test"],
            issuer: ca,
            notBefore: new DateTimeOffset(2030, 7, 1, 0, 0, 0, TimeSpan.Zero),
            notAfter: new DateTimeOffset(2031, 7, 1, 0, 0, 0, TimeSpan.Zero));

        var report = Inspect(leaf, "broker.sango.test", ca);

        Assert.False(report.IsValid);
        Assert.False(report.IsTimeValid);
        Assert.True(report.IsTrusted);
        Assert.Equal(380, report.DaysRemaining);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("not valid yet", problem, StringComparison.Ordinal);
        Assert.Contains("valid from 2030-07-01 00:00:00 UTC to 2031-07-01 00:00:00 UTC", problem, StringComparison.Ordinal);
        Assert.Contains("today is 2030-06-15 12:00:00 UTC", problem, StringComparison.Ordinal);
        Assert.Contains("clock", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_self_signed_certificate_says_so_and_points_to_CaFile()
    {
        using var leaf = TestCertificates.CreateLeaf("CN=broker.sango.test", ["DNS:broker.sango.test"]);

        var report = CertificateInspector.Inspect(TestCertificates.PublicOnly(leaf), "broker.sango.test", CertificateTrustOptions.SystemStore, now: TestCertificates.Now);

        Assert.False(report.IsValid);
        Assert.False(report.IsTrusted);
        Assert.True(report.IsTimeValid);
        Assert.True(report.IsHostNameMatch);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("self-signed", problem, StringComparison.Ordinal);
        Assert.Contains("CN=broker.sango.test", problem, StringComparison.Ordinal);
        Assert.Contains("trusted root store", problem, StringComparison.Ordinal);
        Assert.Contains("-CaFile <path>", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_self_signed_certificate_given_as_its_own_root_is_trusted()
    {
        using var leaf = TestCertificates.CreateLeaf("CN=broker.sango.test", ["DNS:broker.sango.test"]);

        var report = Inspect(leaf, "broker.sango.test", leaf);

        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
        Assert.Equal(["CN=broker.sango.test"], report.Chain);
    }

    [Fact]
    public void A_root_sent_by_the_server_but_not_trusted_names_the_issuer_and_the_CA_file()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Rogue CA");
        using var otherCa = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca);

        var report = CertificateInspector.Inspect(
            TestCertificates.PublicOnly(leaf),
            "broker.sango.test",
            new CertificateTrustOptions([TestCertificates.PublicOnly(otherCa)], CaFilePath),
            [TestCertificates.PublicOnly(leaf), TestCertificates.PublicOnly(ca)],
            TestCertificates.Now);

        Assert.False(report.IsValid);
        Assert.False(report.IsTrusted);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("issuer CN=Sango Rogue CA is not trusted", problem, StringComparison.Ordinal);
        Assert.Contains(CaFilePath, problem, StringComparison.Ordinal);
        Assert.Contains("Pass the issuing CA's certificate with -CaFile <path>", problem, StringComparison.Ordinal);
        Assert.Equal(["CN=broker.sango.test", "CN=Sango Rogue CA"], report.Chain);
    }

    [Fact]
    public void Roots_given_without_a_file_are_named_as_a_list()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Rogue CA");
        using var otherCa = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca);

        var report = CertificateInspector.Inspect(
            TestCertificates.PublicOnly(leaf),
            "broker.sango.test",
            new CertificateTrustOptions([TestCertificates.PublicOnly(otherCa)]),
            [TestCertificates.PublicOnly(ca)],
            TestCertificates.Now);

        var problem = Assert.Single(report.Problems);
        Assert.Contains("it is not in the list of CA certificates given", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_issuer_that_nobody_sent_or_trusts_is_named_with_the_CaFile_hint()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Private CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca);

        var report = CertificateInspector.Inspect(TestCertificates.PublicOnly(leaf), "broker.sango.test", CertificateTrustOptions.SystemStore, now: TestCertificates.Now);

        Assert.False(report.IsValid);
        Assert.False(report.IsTrusted);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("CN=Sango Private CA", problem, StringComparison.Ordinal);
        Assert.Contains("not trusted", problem, StringComparison.Ordinal);
        Assert.Contains("trusted root store", problem, StringComparison.Ordinal);
        Assert.Contains("-CaFile <path>", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_intermediate_is_an_incomplete_chain()
    {
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var intermediate = TestCertificates.CreateIntermediateCa(root, "CN=Sango Test Intermediate CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: intermediate);

        var report = Inspect(leaf, "broker.sango.test", root);

        Assert.False(report.IsValid);
        Assert.False(report.IsTrusted);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("chain is incomplete", problem, StringComparison.Ordinal);
        Assert.Contains("issued by CN=Sango Test Intermediate CA", problem, StringComparison.Ordinal);
        Assert.Contains("intermediate CA", problem, StringComparison.Ordinal);
        Assert.Contains("-CaFile <path>", problem, StringComparison.Ordinal);
        Assert.Contains(CaFilePath, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intermediate_sent_by_the_server_completes_the_chain()
    {
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var intermediate = TestCertificates.CreateIntermediateCa(root, "CN=Sango Test Intermediate CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: intermediate);

        var report = CertificateInspector.Inspect(
            TestCertificates.PublicOnly(leaf),
            "broker.sango.test",
            new CertificateTrustOptions([TestCertificates.PublicOnly(root)]),
            [TestCertificates.PublicOnly(intermediate)],
            TestCertificates.Now);

        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
        Assert.Equal(["CN=broker.sango.test", "CN=Sango Test Intermediate CA", "CN=Sango Test Root CA"], report.Chain);
    }

    [Fact]
    public void A_client_certificate_is_not_meant_for_servers()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca, extendedKeyUsages: [TestCertificates.ClientAuthOid]);

        var report = Inspect(leaf, "broker.sango.test", ca);

        Assert.False(report.IsValid);
        Assert.True(report.IsTrusted);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("not meant for servers", problem, StringComparison.Ordinal);
        Assert.Contains("allows clientAuth but not serverAuth (1.3.6.1.5.5.7.3.1)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_without_extended_key_usage_may_serve()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca, extendedKeyUsages: []);

        Assert.True(Inspect(leaf, "broker.sango.test", ca).IsValid);
    }

    [Fact]
    public void A_key_usage_without_digital_signature_is_not_meant_for_servers()
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca, keyUsage: X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign);

        var report = Inspect(leaf, "broker.sango.test", ca);

        var problem = Assert.Single(report.Problems);
        Assert.Contains("not meant for servers", problem, StringComparison.Ordinal);
        Assert.Contains("allows only keyCertSign, cRLSign, without digitalSignature or keyAgreement", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestKey.Rsa2048, X509KeyUsageFlags.KeyEncipherment, true)]
    [InlineData(TestKey.Rsa2048, X509KeyUsageFlags.DigitalSignature, true)]
    [InlineData(TestKey.Rsa2048, X509KeyUsageFlags.KeyAgreement, false)]
    [InlineData(TestKey.EcdsaP256, X509KeyUsageFlags.DigitalSignature, true)]
    [InlineData(TestKey.EcdsaP256, X509KeyUsageFlags.KeyAgreement, true)]
    [InlineData(TestKey.EcdsaP256, X509KeyUsageFlags.KeyEncipherment, false)]
    public void The_key_usage_needed_depends_on_the_key(TestKey key, X509KeyUsageFlags keyUsage, bool expectedValid)
    {
        using var ca = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: ca, key: key, keyUsage: keyUsage);

        var report = Inspect(leaf, "broker.sango.test", ca);

        Assert.Equal(expectedValid, report.IsValid);
    }

    [Fact]
    public void A_non_CA_issuer_is_reported_in_its_own_words()
    {
        using var root = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var notACa = TestCertificates.CreateIntermediateCa(root, "CN=Sango Not A CA", isCertificateAuthority: false);
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: notACa);

        var report = CertificateInspector.Inspect(
            TestCertificates.PublicOnly(leaf),
            "broker.sango.test",
            new CertificateTrustOptions([TestCertificates.PublicOnly(root)]),
            [TestCertificates.PublicOnly(notACa)],
            TestCertificates.Now);

        Assert.False(report.IsValid);
        Assert.False(report.IsTrusted);
        Assert.Contains(report.Problems, problem => problem.Contains("CN=Sango Not A CA is used as a CA", StringComparison.Ordinal));
    }

    [Fact]
    public void A_signature_from_another_key_with_the_same_CA_name_is_reported()
    {
        using var trustedCa = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var impostorCa = TestCertificates.CreateRootCa("CN=Sango Test Root CA");
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"], issuer: impostorCa, addAuthorityKeyIdentifier: false);

        var report = Inspect(leaf, "broker.sango.test", trustedCa);

        Assert.False(report.IsValid);
        Assert.False(report.IsTrusted);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("The signature on CN=broker.sango.test does not verify", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_CA_is_reported_apart_from_the_leaf()
    {
        using var root = TestCertificates.CreateRootCa(
            "CN=Sango Old Root CA",
            new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero));
        using var leaf = TestCertificates.CreateLeaf(
            subjectAltNames: ["DNS:broker.sango.test"],
            issuer: root,
            notBefore: new DateTimeOffset(2029, 6, 1, 0, 0, 0, TimeSpan.Zero),
            notAfter: new DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero));

        var report = Inspect(leaf, "broker.sango.test", root);

        Assert.False(report.IsTimeValid);
        Assert.False(report.IsTrusted);
        Assert.Equal(2, report.Problems.Length);
        Assert.Contains("expired on 2030-02-01 00:00:00 UTC", report.Problems[0], StringComparison.Ordinal);
        Assert.Contains("The CA certificate CN=Sango Old Root CA is outside its validity period", report.Problems[1], StringComparison.Ordinal);
        Assert.Contains("2030-03-01 00:00:00 UTC", report.Problems[1], StringComparison.Ordinal);
        Assert.Equal("CN=broker.sango.test for broker.sango.test: invalid, 2 problems", report.ToString());
    }

    [Fact]
    public void Every_failed_check_is_listed_at_once()
    {
        using var leaf = TestCertificates.CreateLeaf(
            "CN=broker.sango.test",
            ["DNS:broker.sango.test"],
            extendedKeyUsages: [TestCertificates.ClientAuthOid],
            notBefore: new DateTimeOffset(2029, 1, 1, 0, 0, 0, TimeSpan.Zero),
            notAfter: new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var report = CertificateInspector.Inspect(TestCertificates.PublicOnly(leaf), "other.sango.test", CertificateTrustOptions.SystemStore, now: TestCertificates.Now);

        Assert.False(report.IsValid);
        Assert.False(report.IsHostNameMatch);
        Assert.False(report.IsTimeValid);
        Assert.False(report.IsTrusted);
        Assert.Equal(4, report.Problems.Length);
        Assert.Contains("other.sango.test", report.Problems[0], StringComparison.Ordinal);
        Assert.Contains("expired", report.Problems[1], StringComparison.Ordinal);
        Assert.Contains("not meant for servers", report.Problems[2], StringComparison.Ordinal);
        Assert.Contains("self-signed", report.Problems[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoint_fields_are_filled_by_the_caller()
    {
        using var leaf = TestCertificates.CreateLeaf(subjectAltNames: ["DNS:broker.sango.test"]);
        var report = Inspect(leaf, "broker.sango.test", leaf);

        report.Endpoint = "broker.sango.test:8883";
        report.TlsProtocol = "Tls13";
        report.CipherSuite = "TLS_AES_256_GCM_SHA384";

        Assert.Equal("broker.sango.test:8883", report.Endpoint);
        Assert.Equal("Tls13", report.TlsProtocol);
        Assert.Equal("TLS_AES_256_GCM_SHA384", report.CipherSuite);
    }

    [Fact]
    public void Without_a_time_the_current_time_is_used()
    {
        using var leaf = TestCertificates.CreateLeaf(
            subjectAltNames: ["DNS:broker.sango.test"],
            notBefore: DateTimeOffset.UtcNow.AddDays(-1),
            notAfter: DateTimeOffset.UtcNow.AddDays(30).AddHours(1));

        var report = CertificateInspector.Inspect(leaf, "broker.sango.test", new CertificateTrustOptions([TestCertificates.PublicOnly(leaf)]));

        Assert.True(report.IsValid, string.Join(Environment.NewLine, report.Problems));
        Assert.Equal(30, report.DaysRemaining);
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        using var leaf = TestCertificates.CreateLeaf();
        Assert.Throws<ArgumentNullException>(() => CertificateInspector.Inspect(null!, "a", CertificateTrustOptions.SystemStore));
        Assert.Throws<ArgumentNullException>(() => CertificateInspector.Inspect(leaf, null!, CertificateTrustOptions.SystemStore));
        Assert.Throws<ArgumentNullException>(() => CertificateInspector.Inspect(leaf, "a", null!));
    }

    // Trusts only the given root, as -CaFile would, and checks at the fixed test time.
    private static CertificateReport Inspect(X509Certificate2 leaf, string hostName, X509Certificate2 trustedRoot) =>
        CertificateInspector.Inspect(
            TestCertificates.PublicOnly(leaf),
            hostName,
            new CertificateTrustOptions([TestCertificates.PublicOnly(trustedRoot)], CaFilePath),
            now: TestCertificates.Now);
}
