namespace SangoPS.Transport;

/// <summary>What a TLS handshake settled on, in the words .NET uses (for example Tls13, TLS_AES_256_GCM_SHA384).</summary>
internal sealed record NegotiatedTls(string Protocol, string CipherSuite)
{
    public static NegotiatedTls Of(System.Net.Security.SslStream stream) =>
        new(stream.SslProtocol.ToString(), stream.NegotiatedCipherSuite.ToString());

    public override string ToString() => $"{Protocol} with {CipherSuite}";
}
