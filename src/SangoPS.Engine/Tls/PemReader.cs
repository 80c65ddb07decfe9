using System.Text;
using System.Text.RegularExpressions;

namespace SangoPS.Tls;

/// <summary>
/// Reads PEM files the way OpenSSL writes them: tells PEM text from binary DER, decodes the text whatever its
/// encoding, splits it into blocks (headers included) and decodes a block's base64 body.
/// </summary>
internal static class PemReader
{
    private static readonly Regex BlockPattern = new(
        "-----BEGIN (?<label>[A-Z0-9 ]+)-----(?<body>.*?)-----END \\k<label>-----",
        RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
        TimeSpan.FromSeconds(2));

    /// <summary>True unless <paramref name="bytes"/> start like DER, which always starts with a SEQUENCE tag (0x30).</summary>
    public static bool LooksLikeText(byte[] bytes) => bytes.Length > 0 && bytes[0] != 0x30;

    /// <summary>Decodes PEM text as UTF-8, or as the encoding its byte order mark names.</summary>
    public static string DecodeText(byte[] bytes)
    {
        // Windows PowerShell 5 writes UTF-16 by default, so honour a byte order mark.
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The blocks of <paramref name="text"/> in file order; text outside blocks is ignored.</summary>
    public static IEnumerable<PemBlock> ReadBlocks(string text)
    {
        foreach (Match match in BlockPattern.Matches(text))
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

            yield return new PemBlock(match.Groups["label"].Value, headers, base64.ToString());
        }
    }

    /// <summary>
    /// The bytes of <paramref name="block"/>. <paramref name="what"/> names the file in the message, for example
    /// "certificate file".
    /// </summary>
    /// <exception cref="InvalidDataException">The base64 text is invalid.</exception>
    public static byte[] DecodeBody(string fullPath, PemBlock block, string what)
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
}
