using SangoPS.Errors;

namespace SangoPS.Tls;

/// <summary>
/// The errors of loading a client certificate, shared by the readers behind <see cref="ClientCertificateLoader"/>
/// so that every path reports the same ids and points to the same parameters.
/// </summary>
internal static class ClientCertificateErrors
{
    public const string PasswordParameter = "-ClientKeyPassword";

    public static SangoException Invalid(string message, string target, string? action, Exception? inner = null) =>
        new(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument, message, target, action, inner);

    public static SangoException Mismatch(string message, string target, Exception? inner = null) =>
        new(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument, message, target,
            "Give the key that belongs to the certificate: openssl x509 -in <cert> -noout -pubkey and openssl pkey -in <key> -pubout must print the same public key.",
            inner);

    public static SangoException PasswordRequired(string message, string target, Exception? inner) =>
        new(SangoErrorIds.ClientKeyPasswordRequired, SangoErrorKind.InvalidArgument, message + " Pass " + PasswordParameter + " with the key's password.", target,
            "Pass the key's password with " + PasswordParameter + " (a SecureString, for example Read-Host -AsSecureString).", inner);

    public static SangoException WrongPassword(string message, string target, Exception? inner) =>
        new(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument, message, target,
            "Check the password given with " + PasswordParameter + "; openssl pkey -in <key> -noout (or openssl pkcs12 -info -in <file> -noout) tests it.",
            inner);
}
