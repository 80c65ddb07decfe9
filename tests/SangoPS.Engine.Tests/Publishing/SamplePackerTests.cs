using System.Text;
using SangoPS.Publishing;
using Xunit;

namespace SangoPS.Engine.Tests.Publishing;

public sealed class SamplePackerTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(PackedBatch batch) => Encoding.UTF8.GetString(batch.Payload);

    [Fact]
    public void Inputs_stay_in_one_message_until_the_pipeline_ends()
    {
        var packer = new SamplePacker(int.MaxValue);

        Assert.Empty(packer.Add("t", Json("1"), "a", 100));
        Assert.Empty(packer.Add("t", Json("2"), "b", 100));
        var last = packer.Flush();

        Assert.NotNull(last);
        Assert.Equal("[1,2]", Text(last));
        Assert.Equal(["a", "b"], last.Sources);
        Assert.Null(packer.Flush());
        Assert.Equal(2, packer.SamplesPacked);
    }

    [Fact]
    public void Another_topic_starts_a_message_of_its_own()
    {
        var packer = new SamplePacker(int.MaxValue);
        packer.Add("a", Json("1"), null, 100);

        var ready = packer.Add("b", Json("2"), null, 100);

        var first = Assert.Single(ready);
        Assert.Equal("a", first.Topic);
        Assert.Equal("[1]", Text(first));
        Assert.Equal("b", packer.Flush()!.Topic);
    }

    [Fact]
    public void A_message_is_complete_at_BatchSize()
    {
        var packer = new SamplePacker(2);
        Assert.Empty(packer.Add("t", Json("1"), null, 100));

        var ready = packer.Add("t", Json("2"), null, 100);

        Assert.Equal("[1,2]", Text(Assert.Single(ready)));
        Assert.Null(packer.Flush());
    }

    [Fact]
    public void An_input_that_would_overflow_the_room_goes_into_the_next_message()
    {
        var packer = new SamplePacker(int.MaxValue);

        // "[11,22]" is 7 bytes: with room 7 both fit; "[11,22,33]" would be 10.
        Assert.Empty(packer.Add("t", Json("11"), null, 7));
        Assert.Empty(packer.Add("t", Json("22"), null, 7));
        var ready = packer.Add("t", Json("33"), null, 7);

        Assert.Equal("[11,22]", Text(Assert.Single(ready)));
        Assert.Equal("[33]", Text(packer.Flush()!));
    }
}
