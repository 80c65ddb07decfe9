using System.Text;
using SangoPS.Tls;
using Xunit;

namespace SangoPS.Engine.Tests.Tls;

public class PemReaderTests
{
    [Fact]
    public void Blocks_come_in_file_order_with_their_labels_and_text_outside_is_ignored()
    {
        const string text = "Bag Attributes\n    friendlyName: client\n" +
            "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n" +
            "comment between blocks\n" +
            "-----BEGIN EC PRIVATE KEY-----\nBAUG\n-----END EC PRIVATE KEY-----\n";

        var blocks = PemReader.ReadBlocks(text).ToList();

        Assert.Equal(["CERTIFICATE", "EC PRIVATE KEY"], blocks.Select(b => b.Label));
        Assert.Equal("AQID", blocks[0].Base64);
        Assert.Empty(blocks[0].Headers);
        Assert.Equal("BAUG", blocks[1].Base64);
    }

    [Fact]
    public void A_body_split_over_CRLF_lines_is_joined()
    {
        var blocks = PemReader.ReadBlocks("-----BEGIN PRIVATE KEY-----\r\nAAEC\r\nAwQF\r\n  Bgc=  \r\n-----END PRIVATE KEY-----\r\n").ToList();

        var block = Assert.Single(blocks);
        Assert.Equal("AAECAwQFBgc=", block.Base64);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7 }, PemReader.DecodeBody("key.pem", block, "private key file"));
    }

    [Fact]
    public void Legacy_encryption_headers_are_read_apart_from_the_base64()
    {
        const string text = "-----BEGIN RSA PRIVATE KEY-----\n" +
            "Proc-Type: 4,ENCRYPTED\n" +
            "DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n" +
            "\n" +
            "AQID\n" +
            "-----END RSA PRIVATE KEY-----\n";

        var block = Assert.Single(PemReader.ReadBlocks(text));

        Assert.Equal("RSA PRIVATE KEY", block.Label);
        Assert.Equal("4,ENCRYPTED", block.Headers["Proc-Type"]);
        Assert.Equal("AES-256-CBC,00112233445566778899AABBCCDDEEFF", block.Headers["dek-info"]);
        Assert.Equal("AQID", block.Base64);
    }

    [Theory]
    [InlineData("-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAQID\n")]
    [InlineData("no PEM here")]
    [InlineData("")]
    public void Text_without_a_closed_block_has_no_blocks(string text)
    {
        Assert.Empty(PemReader.ReadBlocks(text));
    }

    [Fact]
    public void A_bad_base64_body_names_the_file_and_the_block()
    {
        var block = Assert.Single(PemReader.ReadBlocks("-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----"));

        var exception = Assert.Throws<InvalidDataException>(() => PemReader.DecodeBody("/etc/sango/cert.pem", block, "certificate file"));

        Assert.Equal("The certificate file '/etc/sango/cert.pem' has a damaged CERTIFICATE block (its base64 text is invalid).", exception.Message);
        Assert.IsType<FormatException>(exception.InnerException);
    }

    [Theory]
    [InlineData(new byte[] { 0x30, 0x82, 0x01, 0x0A }, false)]
    [InlineData(new byte[] { (byte)'-', (byte)'-' }, true)]
    [InlineData(new byte[] { 0xFF, 0xFE }, true)]
    [InlineData(new byte[0], false)]
    public void DER_is_told_from_text_by_its_first_byte(byte[] bytes, bool isText)
    {
        Assert.Equal(isText, PemReader.LooksLikeText(bytes));
    }

    [Fact]
    public void UTF16_text_with_a_byte_order_mark_is_decoded()
    {
        const string pem = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(pem)).ToArray();

        var text = PemReader.DecodeText(bytes);

        Assert.Equal(pem, text);
        Assert.Equal("AQID", Assert.Single(PemReader.ReadBlocks(text)).Base64);
    }
}
