using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SangoPS.Errors;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

/// <summary>
/// Every key format OpenSSL writes, made with the openssl command line (installed wherever these tests run), so
/// the files are exactly what users have; and the errors a user meets with them.
/// </summary>
public class ClientCertificateLoaderTests
{
    private const string Password = "sango-key-pass";

    public static TheoryData<string, string, string, bool> KeyFormats => new()
    {
        // key type, openssl arguments that write key.pem from base.key, the PEM text that proves the format, encrypted
        { "RSA", "pkey -in base.key -out key.pem", "BEGIN PRIVATE KEY", false },
        { "RSA", "pkey -in base.key -traditional -out key.pem", "BEGIN RSA PRIVATE KEY", false },
        { "RSA", "pkey -in base.key -aes256 -passout pass:" + Password + " -out key.pem", "BEGIN ENCRYPTED PRIVATE KEY", true },
        { "RSA", "rsa -in base.key -traditional -des3 -passout pass:" + Password + " -out key.pem", "DEK-Info: DES-EDE3-CBC,", true },
        { "RSA", "rsa -in base.key -traditional -aes128 -passout pass:" + Password + " -out key.pem", "DEK-Info: AES-128-CBC,", true },
        { "RSA", "rsa -in base.key -traditional -aes192 -passout pass:" + Password + " -out key.pem", "DEK-Info: AES-192-CBC,", true },
        { "RSA", "rsa -in base.key -traditional -aes256 -passout pass:" + Password + " -out key.pem", "DEK-Info: AES-256-CBC,", true },
        { "EC", "pkey -in base.key -out key.pem", "BEGIN PRIVATE KEY", false },
        { "EC", "pkey -in base.key -traditional -out key.pem", "BEGIN EC PRIVATE KEY", false },
        { "EC", "pkey -in base.key -aes128 -passout pass:" + Password + " -out key.pem", "BEGIN ENCRYPTED PRIVATE KEY", true },
        { "EC", "ec -in base.key -des3 -passout pass:" + Password + " -out key.pem", "DEK-Info: DES-EDE3-CBC,", true },
        { "EC", "ec -in base.key -aes256 -passout pass:" + Password + " -out key.pem", "DEK-Info: AES-256-CBC,", true },
    };

    [Theory]
    [MemberData(nameof(KeyFormats))]
    public void Every_OpenSSL_key_format_loads_and_signs(string keyType, string convert, string marker, bool encrypted)
    {
        using var folder = new TempDirectory();
        var expected = MakeKeyAndCertificate(folder, keyType, "base.key", "cert.pem");
        Openssl(folder, convert);
        Assert.Contains(marker, File.ReadAllText(folder.File("key.pem")), StringComparison.Ordinal);
        if (marker.StartsWith("DEK-Info", StringComparison.Ordinal))
        {
            Assert.Contains("Proc-Type: 4,ENCRYPTED", File.ReadAllText(folder.File("key.pem")), StringComparison.Ordinal);
        }

        using var certificate = ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("key.pem"), encrypted ? Password : default);

        AssertUsable(certificate, expected);
    }

    [Fact]
    public void A_key_file_with_damaged_base64_is_ClientCertificateInvalid_naming_the_file()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");
        var lines = File.ReadAllLines(folder.File("key.pem"));
        lines[1] = "*" + lines[1][1..]; // '*' is no base64 character
        File.WriteAllLines(folder.File("damaged.pem"), lines);

        var error = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("damaged.pem"), default));

        Assert.Equal(SangoErrorIds.ClientCertificateInvalid, error.ErrorId);
        Assert.Contains(folder.File("damaged.pem"), error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidDataException>(error.InnerException);
    }

    [Fact]
    public void A_DER_certificate_loads_with_its_key()
    {
        using var folder = new TempDirectory();
        var expected = MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");
        Openssl(folder, "x509 -in cert.pem -outform DER -out cert.der");

        using var certificate = ClientCertificateLoader.FromFiles(folder.File("cert.der"), folder.File("key.pem"), default);

        AssertUsable(certificate, expected);
    }

    [Fact]
    public void One_PEM_file_with_the_certificate_and_the_key_needs_no_key_path()
    {
        using var folder = new TempDirectory();
        var expected = MakeKeyAndCertificate(folder, "RSA", "key.pem", "cert.pem");
        File.WriteAllText(folder.File("both.pem"), File.ReadAllText(folder.File("cert.pem")) + File.ReadAllText(folder.File("key.pem")));

        using var certificate = ClientCertificateLoader.FromFiles(folder.File("both.pem"), null, default);

        AssertUsable(certificate, expected);
    }

    [Fact]
    public void A_PFX_file_loads_with_its_password()
    {
        using var folder = new TempDirectory();
        var expected = MakeKeyAndCertificate(folder, "RSA", "key.pem", "cert.pem");
        Openssl(folder, $"pkcs12 -export -in cert.pem -inkey key.pem -passout pass:{Password} -out client.pfx");

        using var certificate = ClientCertificateLoader.FromFiles(folder.File("client.pfx"), null, Password);

        AssertUsable(certificate, expected);
    }

    [Fact]
    public void A_PFX_without_a_password_loads_without_one()
    {
        using var folder = new TempDirectory();
        var expected = MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");
        Openssl(folder, "pkcs12 -export -in cert.pem -inkey key.pem -passout pass: -out client.p12");

        using var certificate = ClientCertificateLoader.FromFiles(folder.File("client.p12"), null, default);

        AssertUsable(certificate, expected);
    }

    [Fact]
    public void A_PFX_with_a_separate_key_file_is_refused()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");
        Openssl(folder, $"pkcs12 -export -in cert.pem -inkey key.pem -passout pass:{Password} -out client.pfx");

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("client.pfx"), folder.File("key.pem"), Password));

        Assert.Equal("ClientCertificateInvalid", exception.ErrorId);
        Assert.Contains("carries its own private key", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PFX_with_a_wrong_password_says_the_password_is_wrong()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");
        Openssl(folder, $"pkcs12 -export -in cert.pem -inkey key.pem -passout pass:{Password} -out client.pfx");

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("client.pfx"), null, "not-the-password"));

        Assert.Equal("ClientCertificateInvalid", exception.ErrorId);
        Assert.Contains("the key password is wrong", exception.Message, StringComparison.Ordinal);
        Assert.Contains(folder.File("client.pfx"), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PFX_without_its_password_asks_for_one()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");
        Openssl(folder, $"pkcs12 -export -in cert.pem -inkey key.pem -passout pass:{Password} -out client.pfx");

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("client.pfx"), null, default));

        Assert.Equal("ClientKeyPasswordRequired", exception.ErrorId);
        Assert.Contains("-ClientKeyPassword", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pkey -in base.key -aes256 -passout pass:" + Password + " -out key.pem")]
    [InlineData("rsa -in base.key -traditional -des3 -passout pass:" + Password + " -out key.pem")]
    [InlineData("rsa -in base.key -traditional -aes256 -passout pass:" + Password + " -out key.pem")]
    public void A_wrong_key_password_says_so(string convert)
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "RSA", "base.key", "cert.pem");
        Openssl(folder, convert);

        // Several wrong passwords: a wrong key passes the CBC padding check now and then, and must still be caught.
        foreach (var wrong in new[] { "wrong", "sango-key-pas", "Sango-Key-Pass", "x", "another wrong password" })
        {
            var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("key.pem"), wrong));

            Assert.Equal("ClientCertificateInvalid", exception.ErrorId);
            Assert.Equal(SangoErrorKind.InvalidArgument, exception.Kind);
            Assert.Contains("the key password is wrong", exception.Message, StringComparison.Ordinal);
            Assert.Contains(folder.File("key.pem"), exception.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("pkey -in base.key -aes256 -passout pass:" + Password + " -out key.pem", "ENCRYPTED PRIVATE KEY")]
    [InlineData("rsa -in base.key -traditional -des3 -passout pass:" + Password + " -out key.pem", "Proc-Type: 4,ENCRYPTED")]
    public void An_encrypted_key_without_a_password_asks_for_ClientKeyPassword(string convert, string format)
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "RSA", "base.key", "cert.pem");
        Openssl(folder, convert);

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("key.pem"), default));

        Assert.Equal("ClientKeyPasswordRequired", exception.ErrorId);
        Assert.Contains("pass -ClientKeyPassword", exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(format, exception.Message, StringComparison.Ordinal);
        Assert.Contains("-ClientKeyPassword", exception.RecommendedAction, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RSA", "RSA")]
    [InlineData("EC", "EC")]
    [InlineData("RSA", "EC")]
    [InlineData("EC", "RSA")]
    public void A_key_of_another_certificate_is_refused(string certificateKeyType, string otherKeyType)
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, certificateKeyType, "key.pem", "cert.pem");
        MakeKeyAndCertificate(folder, otherKeyType, "other.key", "other.pem");

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("other.key"), default));

        Assert.Equal("ClientCertificateInvalid", exception.ErrorId);
        Assert.Contains("does not match the certificate", exception.Message, StringComparison.Ordinal);
        Assert.Contains(folder.File("other.key"), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encrypted_key_of_another_kind_is_a_mismatch_not_a_wrong_password()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "RSA", "key.pem", "cert.pem");
        MakeKeyAndCertificate(folder, "EC", "other.key", "other.pem");
        Openssl(folder, $"pkey -in other.key -aes256 -passout pass:{Password} -out other-encrypted.key");

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("other-encrypted.key"), Password));

        Assert.Contains("does not match the certificate", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_are_named()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");

        var noCertificate = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("missing.pem"), folder.File("key.pem"), default));
        var noKey = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("missing.key"), default));

        Assert.Equal("ClientCertificateNotFound", noCertificate.ErrorId);
        Assert.Equal(SangoErrorKind.ObjectNotFound, noCertificate.Kind);
        Assert.Contains(folder.File("missing.pem"), noCertificate.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", noCertificate.Message, StringComparison.Ordinal);
        Assert.Contains(folder.File("missing.key"), noKey.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_alone_asks_for_its_key()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), null, default));

        Assert.Equal("ClientCertificateInvalid", exception.ErrorId);
        Assert.Contains("holds no private key", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_file_without_a_key_says_what_it_holds()
    {
        using var folder = new TempDirectory();
        MakeKeyAndCertificate(folder, "EC", "key.pem", "cert.pem");

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("cert.pem"), default));

        Assert.Contains("holds no private key", exception.Message, StringComparison.Ordinal);
        Assert.Contains("CERTIFICATE", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_loaded_certificate_authenticates_a_client_over_SslStream()
    {
        using var folder = new TempDirectory();
        var expected = MakeKeyAndCertificate(folder, "RSA", "base.key", "cert.pem");
        Openssl(folder, $"rsa -in base.key -traditional -des3 -passout pass:{Password} -out key.pem");
        using var client = ClientCertificateLoader.FromFiles(folder.File("cert.pem"), folder.File("key.pem"), Password);

        var seen = MutualTlsHandshake(client);

        Assert.Equal(expected, seen);
    }

    [Fact]
    public void A_thumbprint_in_no_store_names_both_stores()
    {
        const string thumbprint = "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 00 11 22 33";

        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromStore(thumbprint));

        Assert.Equal(SangoErrorKind.ObjectNotFound, exception.Kind);
        Assert.Contains("00112233445566778899AABBCCDDEEFF00112233", exception.Message, StringComparison.Ordinal);
        Assert.Contains("CurrentUser\\My", exception.Message, StringComparison.Ordinal);
        Assert.Contains("LocalMachine\\My", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_thumbprint_is_an_argument_error()
    {
        var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromStore("not-a-thumbprint"));

        Assert.Equal(SangoErrorKind.InvalidArgument, exception.Kind);
        Assert.Contains("40 hexadecimal digits", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_in_CurrentUser_My_is_found_by_thumbprint_and_must_have_a_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=SangoPS store test " + Guid.NewGuid().ToString("N"), key, HashAlgorithmName.SHA256);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var withKey = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null,
            X509KeyStorageFlags.PersistKeySet | X509KeyStorageFlags.Exportable);
        using var publicOnly = X509CertificateLoader.LoadCertificate(ephemeral.RawData);

        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        try
        {
            store.Add(withKey);
            using (var found = ClientCertificateLoader.FromStore(withKey.Thumbprint.ToLowerInvariant()))
            {
                Assert.Equal(withKey.Thumbprint, found.Thumbprint);
                Assert.True(found.HasPrivateKey);
            }

            store.Remove(withKey);
            store.Add(publicOnly);
            var exception = Assert.Throws<SangoException>(() => ClientCertificateLoader.FromStore(withKey.Thumbprint));
            Assert.Contains("has no private key", exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            store.Remove(withKey);
            store.Remove(publicOnly);
        }
    }

    private static void AssertUsable(X509Certificate2 certificate, string expectedThumbprint)
    {
        Assert.Equal(expectedThumbprint, certificate.Thumbprint);
        Assert.True(certificate.HasPrivateKey);
        var data = Encoding.UTF8.GetBytes("sango telemetry");
        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa is not null)
        {
            var signature = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var verifier = certificate.GetRSAPublicKey()!;
            Assert.True(verifier.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            return;
        }

        using var ecdsa = certificate.GetECDsaPrivateKey();
        Assert.NotNull(ecdsa);
        var ecSignature = ecdsa.SignData(data, HashAlgorithmName.SHA256);
        using var ecVerifier = certificate.GetECDsaPublicKey()!;
        Assert.True(ecVerifier.VerifyData(data, ecSignature, HashAlgorithmName.SHA256));
    }

    /// <summary>Makes a key (PKCS#8 PEM) and a self-signed client certificate for it; returns the thumbprint.</summary>
    private static string MakeKeyAndCertificate(TempDirectory folder, string keyType, string keyFile, string certificateFile)
    {
        Openssl(folder, keyType == "RSA"
            ? $"genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out {keyFile}"
            : $"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {keyFile}");
        Openssl(folder, $"req -new -x509 -key {keyFile} -subj /CN=sango-client -days 2 -addext extendedKeyUsage=clientAuth -out {certificateFile}");
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(folder.File(certificateFile));
        return certificate.Thumbprint;
    }

    private static void Openssl(TempDirectory folder, string arguments)
    {
        var start = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = folder.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), $"openssl {arguments} did not finish within 30 s.");
        Assert.True(process.ExitCode == 0, $"openssl {arguments} failed ({process.ExitCode}): {error.Result}{output.Result}");
    }

    /// <summary>A loopback server that demands a client certificate; returns the thumbprint it received.</summary>
    private static string? MutualTlsHandshake(X509Certificate2 clientCertificate)
    {
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var serverCertificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? seen = null;
            var server = Task.Run(async () =>
            {
                using var accepted = await listener.AcceptTcpClientAsync(timeout.Token);
                await using var tls = new SslStream(accepted.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = serverCertificate,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls12,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        seen = certificate is null ? null : new X509Certificate2(certificate).Thumbprint;
                        return certificate is not null;
                    },
                }, timeout.Token);
            });

            using var socket = new TcpClient();
            socket.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            using var client = new SslStream(socket.GetStream());
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = SslProtocols.Tls12,
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == serverCertificate.Thumbprint,
            }, timeout.Token).GetAwaiter().GetResult();
            server.GetAwaiter().GetResult();
            return seen;
        }
        finally
        {
            listener.Stop();
        }
    }
}
