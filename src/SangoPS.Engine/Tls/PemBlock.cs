namespace SangoPS.Tls;

/// <summary>
/// One -----BEGIN label----- ... -----END label----- block of a PEM file: its label, its RFC 1421 headers
/// (Proc-Type, DEK-Info; empty for most blocks) and its base64 body with the line breaks removed.
/// </summary>
internal sealed record PemBlock(string Label, IReadOnlyDictionary<string, string> Headers, string Base64);
