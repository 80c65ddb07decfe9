using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using SangoPS.Errors;

namespace SangoPS.Tls;

/// <summary>
/// Loads the certificate a client proves its identity with (mutual TLS): a PEM or DER certificate with a PEM key in
/// any of the forms OpenSSL writes, a PFX/P12 file, or a certificate of the Windows/.NET "My" stores. Every result
/// carries its private key in a form SslStream can use on every OS.
/// </summary>
public static class ClientCertificateLoader
{
    // Not yet in SangoErrorIds; kept here so this file compiles on its own.

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string PasswordParameter = "-ClientKeyPassword";

    // Windows reports a wrong PFX password as ERROR_INVALID_PASSWORD, and .NET uses the same HResult elsewhere.
    private const int InvalidPasswordHResult = unchecked((int)0x80070056);

    private static readonly Regex PemBlock = new(
        "-----BEGIN (?<label>[A-Z0-9 ]+)-----(?<body>.*?)-----END \\k<label>-----",
        RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
        TimeSpan.FromSeconds(2));

    /// <summary>
    /// Loads a client certificate with its private key. With <paramref name="keyPath"/> null,
    /// <paramref name="certificatePath"/> is a PFX/P12 file (then <paramref name="password"/> is its password) or a
    /// PEM file holding both the certificate and the key; otherwise it is a PEM or DER certificate and
    /// <paramref name="keyPath"/> a PEM private key, encrypted or not (then <paramref name="password"/> is the
    /// key's password).
    /// </summary>
    /// <exception cref="SangoException">A file is missing or unreadable, the password is missing or wrong, or the key does not belong to the certificate.</exception>
    public static X509Certificate2 FromFiles(string certificatePath, string? keyPath, ReadOnlySpan<char> password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificatePath);

        var certificateFile = Path.GetFullPath(certificatePath);
        var certificateBytes = ReadFile(certificateFile, "client certificate file");
        var keyFile = keyPath is null ? null : Path.GetFullPath(keyPath);

        if (!LooksLikeText(certificateBytes) && IsPkcs12(certificateBytes))
        {
            if (keyFile is not null)
            {
                throw Invalid($"The client certificate file '{certificateFile}' is a PFX/P12 file, which carries its own private key; a separate key file ('{keyFile}') does not go with it.",
                    certificateFile, "Give the PFX/P12 file alone, without -ClientKeyPath (its password with " + PasswordParameter + "), or a PEM certificate with its key file.");
            }

            return FromPkcs12(certificateFile, certificateBytes, password);
        }

        using var certificate = FirstCertificate(certificateFile);
        string keyText;
        if (keyFile is null)
        {
            // mosquitto and many devices keep the certificate and the key in one PEM file.
            var text = LooksLikeText(certificateBytes) ? DecodeText(certificateBytes) : string.Empty;
            if (!ReadPemBlocks(text).Any(block => IsKeyLabel(block.Label)))
            {
                throw Invalid($"The client certificate file '{certificateFile}' holds no private key, and no key file was given.",
                    certificateFile, "Give the private key file (PEM) with -ClientKeyPath, or a PFX/P12 file that holds the certificate and its key.");
            }

            keyFile = certificateFile;
            keyText = text;
        }
        else
        {
            keyText = DecodeText(ReadFile(keyFile, "private key file"));
        }

        using var key = ReadPrivateKey(keyFile, keyText, password, certificate);
        using var withKey = AttachKey(certificate, key, certificateFile, keyFile);
        return ReimportForTls(withKey);
    }

    /// <summary>
    /// Finds the certificate with <paramref name="thumbprint"/> (SHA-1, as certificate stores show it; spaces and
    /// colons allowed) in CurrentUser\My, then LocalMachine\My. It must have a private key.
    /// </summary>
    /// <exception cref="SangoException">The thumbprint is malformed, no store has it, or it has no private key.</exception>
    public static X509Certificate2 FromStore(string thumbprint)
    {
        ArgumentNullException.ThrowIfNull(thumbprint);

        // A thumbprint copied from the Windows certificate dialog carries spaces and an invisible left-to-right mark.
        var normalized = new string(thumbprint.Where(char.IsAsciiHexDigit).ToArray()).ToUpperInvariant();
        var stripped = thumbprint.Where(c => !char.IsAsciiHexDigit(c) && !char.IsWhiteSpace(c) && c is not (':' or '-' or '\u200E' or '\u200F'));
        if (normalized.Length != 40 || stripped.Any())
        {
            throw new SangoException(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument,
                $"'{thumbprint}' is not a certificate thumbprint: a thumbprint is 40 hexadecimal digits (the SHA-1 hash the certificate stores show).",
                thumbprint, "Copy the Thumbprint of Get-ChildItem Cert:\\CurrentUser\\My (on Windows), or of the certificate's details.");
        }

        string? withoutKey = null;
        foreach (var location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
        {
            var found = FindInStore(location, normalized);
            if (found is null)
            {
                continue;
            }

            if (found.HasPrivateKey)
            {
                // Returned as it is: a store key may live in a smart card or TPM and never be exportable.
                return found;
            }

            // The other store may still hold the same certificate with its key.
            withoutKey ??= $"{location}\\My ({found.Subject})";
            found.Dispose();
        }

        if (withoutKey is not null)
        {
            throw Invalid($"The certificate {normalized} in {withoutKey} has no private key, so it cannot prove this client's identity.",
                normalized, "Import the certificate together with its private key (a PFX/P12 file), or give its files with -ClientCertificatePath and -ClientKeyPath.");
        }

        throw new SangoException(SangoErrorIds.ClientCertificateNotFound, SangoErrorKind.ObjectNotFound,
            $"No certificate with the thumbprint {normalized} is in CurrentUser\\My or LocalMachine\\My.",
            normalized, "List the candidates with Get-ChildItem Cert:\\CurrentUser\\My (Windows), or import the certificate with its private key first.");
    }

    /// <summary>
    /// Reads every certificate of a PEM file (in file order; other PEM blocks are skipped) or the one certificate of
    /// a DER file. <paramref name="what"/> names the file in messages, for example "certificate file".
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file holds no readable certificate.</exception>
    internal static X509Certificate2Collection ReadCertificates(string fullPath, string what)
    {
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The {what} '{fullPath}' does not exist.", fullPath);
        }

        var bytes = File.ReadAllBytes(fullPath);
        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"The {what} '{fullPath}' is empty.");
        }

        var certificates = new X509Certificate2Collection();
        if (!LooksLikeText(bytes))
        {
            if (IsPkcs12(bytes))
            {
                throw new InvalidDataException($"The {what} '{fullPath}' is a PFX/P12 file; give the certificate as PEM or DER (openssl pkcs12 -in <file> -nokeys -out cert.pem).");
            }

            certificates.Add(LoadDer(fullPath, bytes, what));
            return certificates;
        }

        foreach (var block in ReadPemBlocks(DecodeText(bytes)))
        {
            if (block.Label is not ("CERTIFICATE" or "X509 CERTIFICATE" or "TRUSTED CERTIFICATE"))
            {
                continue;
            }

            certificates.Add(LoadDer(fullPath, Base64(fullPath, block, what), what));
        }

        if (certificates.Count == 0)
        {
            throw new InvalidDataException($"The {what} '{fullPath}' holds no certificate: it should contain a -----BEGIN CERTIFICATE----- block, or be a DER certificate.");
        }

        return certificates;
    }

    private static X509Certificate2 FirstCertificate(string fullPath)
    {
        X509Certificate2Collection certificates;
        try
        {
            certificates = ReadCertificates(fullPath, "client certificate file");
        }
        catch (InvalidDataException exception)
        {
            throw Invalid(exception.Message, fullPath, "Give the client certificate as PEM or DER, or a PFX/P12 file.", exception);
        }

        // The first certificate is the client's own; any others are its CA chain, which the key does not belong to.
        for (var i = 1; i < certificates.Count; i++)
        {
            certificates[i].Dispose();
        }

        return certificates[0];
    }

    private static X509Certificate2 LoadDer(string fullPath, byte[] der, string what)
    {
        try
        {
            if (X509Certificate2.GetCertContentType(der) != X509ContentType.Cert)
            {
                throw new InvalidDataException($"The {what} '{fullPath}' holds no certificate: it is neither PEM text nor a DER certificate.");
            }

            return new X509Certificate2(der);
        }
        catch (CryptographicException exception)
        {
            throw new InvalidDataException($"The {what} '{fullPath}' has a certificate that cannot be read: {exception.Message}", exception);
        }
    }

    private static X509Certificate2 FromPkcs12(string fullPath, byte[] bytes, ReadOnlySpan<char> password)
    {
        X509Certificate2Collection all;
        try
        {
            all = new X509Certificate2Collection();
            all.Import(bytes, password, LoadFlags);
        }
        catch (CryptographicException exception) when (exception.HResult == InvalidPasswordHResult || LooksLikePasswordError(exception))
        {
            throw password.IsEmpty
                ? PasswordRequired($"The PFX/P12 file '{fullPath}' is protected by a password, and none was given.", fullPath, exception)
                : WrongPassword($"The PFX/P12 file '{fullPath}' cannot be opened: the key password is wrong.", fullPath, exception);
        }
        catch (CryptographicException exception)
        {
            throw Invalid($"The PFX/P12 file '{fullPath}' cannot be read: {exception.Message}", fullPath,
                "Check that the file is a complete PFX/P12 export (openssl pkcs12 -info -in <file> shows its contents).", exception);
        }

        try
        {
            // The client's own certificate is the one with the key; CA certificates may come along in the file.
            var own = all.Cast<X509Certificate2>().FirstOrDefault(c => c.HasPrivateKey)
                ?? throw Invalid($"The PFX/P12 file '{fullPath}' holds no private key, only certificates.", fullPath,
                    "Export the certificate together with its private key.");
            return ReimportForTls(own);
        }
        finally
        {
            foreach (var certificate in all)
            {
                certificate.Dispose();
            }
        }
    }

    private static AsymmetricAlgorithm ReadPrivateKey(string keyFile, string text, ReadOnlySpan<char> password, X509Certificate2 certificate)
    {
        var blocks = ReadPemBlocks(text).ToList();
        var block = blocks.FirstOrDefault(b => IsKeyLabel(b.Label));
        if (block is null)
        {
            var found = blocks.Count == 0
                ? "it has no PEM block"
                : "it has only " + string.Join(", ", blocks.Select(b => b.Label).Distinct(StringComparer.Ordinal)) + " blocks";
            if (blocks.Any(b => b.Label == "OPENSSH PRIVATE KEY"))
            {
                found = "it is an OpenSSH key, not a TLS key";
            }

            throw Invalid($"The private key file '{keyFile}' holds no private key that can be read: {found}. It should contain a -----BEGIN PRIVATE KEY-----, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block.",
                keyFile, "Give the PEM key that belongs to the certificate (openssl pkey -in <key> converts most formats).");
        }

        var der = Base64(keyFile, block, "private key file");
        try
        {
            switch (block.Label)
            {
                case "PRIVATE KEY":
                    return ImportPkcs8(keyFile, der);
                case "ENCRYPTED PRIVATE KEY":
                    if (password.IsEmpty)
                    {
                        throw PasswordRequired($"The private key file '{keyFile}' is encrypted (ENCRYPTED PRIVATE KEY), and no password was given.", keyFile, null);
                    }

                    return ImportEncryptedPkcs8(keyFile, der, password, certificate);
                default:
                    var isRsa = block.Label == "RSA PRIVATE KEY";
                    if (block.Headers.TryGetValue("Proc-Type", out var procType) && procType.Contains("ENCRYPTED", StringComparison.OrdinalIgnoreCase))
                    {
                        if (password.IsEmpty)
                        {
                            throw PasswordRequired($"The private key file '{keyFile}' is encrypted ({block.Label} with Proc-Type: 4,ENCRYPTED), and no password was given.", keyFile, null);
                        }

                        var plain = DecryptTraditional(keyFile, block, der, password);
                        try
                        {
                            return ImportTraditional(isRsa, plain, keyFile, wrongPasswordLikely: true);
                        }
                        finally
                        {
                            CryptographicOperations.ZeroMemory(plain);
                        }
                    }

                    return ImportTraditional(isRsa, der, keyFile, wrongPasswordLikely: false);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    private static AsymmetricAlgorithm ImportPkcs8(string keyFile, byte[] der)
    {
        var oid = Pkcs8AlgorithmOid(der);
        AsymmetricAlgorithm key = oid switch
        {
            RsaOid => RSA.Create(),
            EcOid => ECDsa.Create(),
            _ => throw Invalid($"The private key file '{keyFile}' holds a {DescribeKeyOid(oid)} key, which .NET cannot use for TLS client authentication; only RSA and ECDSA keys work.",
                keyFile, "Use an RSA or ECDSA (P-256, P-384) client certificate."),
        };
        try
        {
            key.ImportPkcs8PrivateKey(der, out _);
            return key;
        }
        catch (CryptographicException exception)
        {
            key.Dispose();
            throw Invalid($"The private key file '{keyFile}' has a damaged PRIVATE KEY block: {exception.Message}", keyFile,
                "Check the key with openssl pkey -in <key> -noout.", exception);
        }
    }

    private static AsymmetricAlgorithm ImportEncryptedPkcs8(string keyFile, byte[] der, ReadOnlySpan<char> password, X509Certificate2 certificate)
    {
        // The algorithm is inside the encrypted part, so try the certificate's first: a key of the other kind means
        // the wrong key file, a key of neither kind means the wrong password.
        var certificateIsRsa = certificate.GetKeyAlgorithm() == RsaOid;
        CryptographicException? firstFailure = null;
        foreach (var tryRsa in new[] { certificateIsRsa, !certificateIsRsa })
        {
            AsymmetricAlgorithm key = tryRsa ? RSA.Create() : ECDsa.Create();
            try
            {
                key.ImportEncryptedPkcs8PrivateKey(password, der, out _);
                return key;
            }
            catch (CryptographicException exception)
            {
                key.Dispose();
                firstFailure ??= exception;
            }
        }

        throw WrongPassword($"The private key file '{keyFile}' cannot be decrypted: the key password is wrong.", keyFile, firstFailure);
    }

    private static AsymmetricAlgorithm ImportTraditional(bool isRsa, byte[] der, string keyFile, bool wrongPasswordLikely)
    {
        AsymmetricAlgorithm key = isRsa ? RSA.Create() : ECDsa.Create();
        try
        {
            if (key is RSA rsa)
            {
                rsa.ImportRSAPrivateKey(der, out _);
            }
            else
            {
                ((ECDsa)key).ImportECPrivateKey(der, out _);
            }

            return key;
        }
        catch (CryptographicException exception)
        {
            key.Dispose();
            if (wrongPasswordLikely)
            {
                // Decryption with a wrong key passes the padding check about once in 256 tries and yields garbage.
                throw WrongPassword($"The private key file '{keyFile}' cannot be decrypted: the key password is wrong.", keyFile, exception);
            }

            throw Invalid($"The private key file '{keyFile}' has a damaged {(isRsa ? "RSA" : "EC")} PRIVATE KEY block: {exception.Message}", keyFile,
                "Check the key with openssl pkey -in <key> -noout.", exception);
        }
    }

    /// <summary>
    /// Decrypts the legacy OpenSSL key encryption (openssl genrsa -des3, openssl rsa -traditional -aes256), which
    /// .NET does not read: the key is EVP_BytesToKey(MD5, one round, salt = the first 8 IV bytes) of the password.
    /// </summary>
    private static byte[] DecryptTraditional(string keyFile, PemBlockData block, byte[] encrypted, ReadOnlySpan<char> password)
    {
        if (!block.Headers.TryGetValue("DEK-Info", out var dekInfo) || dekInfo.Split(',', 2) is not [var cipherName, var ivHex])
        {
            throw Invalid($"The private key file '{keyFile}' is marked encrypted but has no valid DEK-Info header.", keyFile,
                "Re-export the key, for example: openssl pkey -in <key> -aes256 -out key.pem");
        }

        cipherName = cipherName.Trim().ToUpperInvariant();
        var (keySize, blockSize) = cipherName switch
        {
            "DES-EDE3-CBC" => (24, 8),
            "AES-128-CBC" => (16, 16),
            "AES-192-CBC" => (24, 16),
            "AES-256-CBC" => (32, 16),
            _ => (0, 0),
        };
        if (keySize == 0)
        {
            throw Invalid($"The private key file '{keyFile}' is encrypted with {cipherName}, which SangoPS does not read; DES-EDE3-CBC and AES-128/192/256-CBC are supported.",
                keyFile, "Re-encrypt the key: openssl pkey -in <key> -aes256 -out key.pem (writes an ENCRYPTED PRIVATE KEY).");
        }

        byte[] iv;
        try
        {
            iv = Convert.FromHexString(ivHex.Trim());
        }
        catch (FormatException exception)
        {
            throw Invalid($"The private key file '{keyFile}' has a DEK-Info header with an invalid IV ('{ivHex.Trim()}').", keyFile, null, exception);
        }

        if (iv.Length != blockSize)
        {
            throw Invalid($"The private key file '{keyFile}' has a DEK-Info IV of {iv.Length} bytes; {cipherName} needs {blockSize}.", keyFile, null);
        }

        var passwordBytes = new byte[Encoding.UTF8.GetMaxByteCount(password.Length)];
        var passwordLength = Encoding.UTF8.GetBytes(password, passwordBytes);
        var key = BytesToKey(passwordBytes.AsSpan(0, passwordLength), iv.AsSpan(0, 8), keySize);
        try
        {
            // The format fixes the cipher; reading an existing key is the only use of Triple DES here.
#pragma warning disable CA5350
            using SymmetricAlgorithm cipher = cipherName == "DES-EDE3-CBC" ? TripleDES.Create() : Aes.Create();
#pragma warning restore CA5350
            cipher.Key = key;
            return cipher.DecryptCbc(encrypted, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException exception)
        {
            throw WrongPassword($"The private key file '{keyFile}' cannot be decrypted: the key password is wrong.", keyFile, exception);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] BytesToKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int keySize)
    {
        var key = new byte[keySize];
        var input = new byte[MD5.HashSizeInBytes + password.Length + salt.Length];
        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        var filled = 0;
        var previous = 0;
        try
        {
            while (filled < keySize)
            {
                // D_i = MD5(D_(i-1) || password || salt), D_0 empty; the key is D_1 || D_2 || ... cut to size.
                password.CopyTo(input.AsSpan(previous));
                salt.CopyTo(input.AsSpan(previous + password.Length));
                // OpenSSL's legacy key derivation is MD5 by definition; it protects nothing new, it only reads old keys.
#pragma warning disable CA5351
                MD5.HashData(input.AsSpan(0, previous + password.Length + salt.Length), digest);
#pragma warning restore CA5351
                var take = Math.Min(digest.Length, keySize - filled);
                digest[..take].CopyTo(key.AsSpan(filled));
                filled += take;
                digest.CopyTo(input);
                previous = digest.Length;
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
            CryptographicOperations.ZeroMemory(digest);
        }
    }

    private static X509Certificate2 AttachKey(X509Certificate2 certificate, AsymmetricAlgorithm key, string certificateFile, string keyFile)
    {
        var certificateAlgorithm = certificate.GetKeyAlgorithm();
        var keyIsRsa = key is RSA;
        if ((certificateAlgorithm == RsaOid) != keyIsRsa || (certificateAlgorithm != RsaOid && certificateAlgorithm != EcOid))
        {
            throw Mismatch($"The private key in '{keyFile}' does not match the certificate in '{certificateFile}': the key is {(keyIsRsa ? "an RSA" : "an EC")} key, the certificate ({certificate.Subject}) is for a {CertificateDescriptions.KeyAlgorithm(certificate)} key.",
                certificateFile);
        }

        try
        {
            return key is RSA rsa ? certificate.CopyWithPrivateKey(rsa) : certificate.CopyWithPrivateKey((ECDsa)key);
        }
        catch (ArgumentException exception)
        {
            throw Mismatch($"The private key in '{keyFile}' does not match the certificate in '{certificateFile}' ({certificate.Subject}): it is another key of the same kind.",
                certificateFile, exception);
        }
    }

    /// <summary>
    /// A certificate with an in-memory key works with SslStream on Linux but not on Windows, where SChannel needs the
    /// key in a key container: a PKCS#12 round trip puts it there. Done on every OS so that they behave alike.
    /// </summary>
    private static X509Certificate2 ReimportForTls(X509Certificate2 withKey)
    {
        var pfx = withKey.Export(X509ContentType.Pkcs12);
        try
        {
            return new X509Certificate2(pfx, (string?)null, LoadFlags);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    // EphemeralKeySet keeps the key off the disk, but SChannel on Windows cannot use such a key and macOS refuses it.
    private static X509KeyStorageFlags LoadFlags =>
        OperatingSystem.IsLinux() ? X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable : X509KeyStorageFlags.Exportable;

    private static X509Certificate2? FindInStore(StoreLocation location, string thumbprint)
    {
        X509Certificate2Collection all;
        try
        {
            using var store = new X509Store(StoreName.My, location);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            all = store.Certificates;
        }
        catch (CryptographicException)
        {
            // A store that does not exist (yet), or LocalMachine\My on Linux and macOS, simply has no certificate.
            return null;
        }

        X509Certificate2? result = null;
        foreach (var certificate in all)
        {
            if (result is null && string.Equals(certificate.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                result = certificate;
            }
            else
            {
                certificate.Dispose();
            }
        }

        return result;
    }

    private static string? Pkcs8AlgorithmOid(byte[] der)
    {
        try
        {
            var info = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            _ = info.ReadIntegerBytes();
            return info.ReadSequence().ReadObjectIdentifier();
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static string DescribeKeyOid(string? oid) => oid switch
    {
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        null => "unreadable",
        _ => oid,
    };

    private static bool IsKeyLabel(string label) =>
        label is "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY";

    private static bool LooksLikePasswordError(CryptographicException exception) =>
        exception.Message.Contains("password", StringComparison.OrdinalIgnoreCase);

    private static bool IsPkcs12(byte[] bytes)
    {
        try
        {
            return X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static byte[] ReadFile(string fullPath, string what)
    {
        if (!File.Exists(fullPath))
        {
            throw new SangoException(SangoErrorIds.ClientCertificateNotFound, SangoErrorKind.ObjectNotFound,
                $"The {what} '{fullPath}' does not exist.", fullPath, "Check the path; relative paths are relative to the current location.");
        }

        var bytes = File.ReadAllBytes(fullPath);
        if (bytes.Length == 0)
        {
            throw Invalid($"The {what} '{fullPath}' is empty.", fullPath, null);
        }

        return bytes;
    }

    // DER always starts with a SEQUENCE tag (0x30); PEM is text.
    private static bool LooksLikeText(byte[] bytes) => bytes.Length > 0 && bytes[0] != 0x30;

    private static string DecodeText(byte[] bytes)
    {
        // Windows PowerShell 5 writes UTF-16 by default, so honour a byte order mark.
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static IEnumerable<PemBlockData> ReadPemBlocks(string text)
    {
        foreach (Match match in PemBlock.Matches(text))
        {
            // The legacy encrypted key format puts RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") before the base64,
            // which System.Security.Cryptography.PemEncoding rejects; so the blocks are read by hand.
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var base64 = new StringBuilder();
            foreach (var rawLine in match.Groups["body"].Value.Split('\n'))
            {
                var line = rawLine.Trim();
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }
                else
                {
                    base64.Append(line);
                }
            }

            yield return new PemBlockData(match.Groups["label"].Value, headers, base64.ToString());
        }
    }

    private static byte[] Base64(string fullPath, PemBlockData block, string what)
    {
        try
        {
            return Convert.FromBase64String(block.Base64);
        }
        catch (FormatException exception)
        {
            throw new InvalidDataException($"The {what} '{fullPath}' has a damaged {block.Label} block (its base64 text is invalid).", exception);
        }
    }

    private static SangoException Invalid(string message, string target, string? action, Exception? inner = null) =>
        new(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument, message, target, action, inner);

    private static SangoException Mismatch(string message, string target, Exception? inner = null) =>
        new(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument, message, target,
            "Give the key that belongs to the certificate: openssl x509 -in <cert> -noout -pubkey and openssl pkey -in <key> -pubout must print the same public key.",
            inner);

    private static SangoException PasswordRequired(string message, string target, Exception? inner) =>
        new(SangoErrorIds.ClientKeyPasswordRequired, SangoErrorKind.InvalidArgument, message + " Pass " + PasswordParameter + " with the key's password.", target,
            "Pass the key's password with " + PasswordParameter + " (a SecureString, for example Read-Host -AsSecureString).", inner);

    private static SangoException WrongPassword(string message, string target, Exception? inner) =>
        new(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument, message, target,
            "Check the password given with " + PasswordParameter + "; openssl pkey -in <key> -noout (or openssl pkcs12 -info -in <file> -noout) tests it.",
            inner);

    private sealed record PemBlockData(string Label, Dictionary<string, string> Headers, string Base64);
}
