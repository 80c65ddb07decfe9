using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Errors;
using static SangoPS.Tls.ClientCertificateErrors;

namespace SangoPS.Tls;

/// <summary>Finds a client certificate with its private key by thumbprint in CurrentUser\My, then LocalMachine\My.</summary>
internal static class CertificateStoreLookup
{
    /// <summary>
    /// Finds the certificate with <paramref name="thumbprint"/> (SHA-1, as certificate stores show it; spaces and
    /// colons allowed). It must have a private key.
    /// </summary>
    /// <exception cref="SangoException">The thumbprint is malformed, no store has it, or it has no private key.</exception>
    public static X509Certificate2 Find(string thumbprint)
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
}
