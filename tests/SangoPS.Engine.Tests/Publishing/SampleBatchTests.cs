using System.Text;
using System.Text.Json;
using SangoPS.Publishing;
using Xunit;

namespace SangoPS.Engine.Tests.Publishing;

public sealed class SampleBatchTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Samples_become_one_json_array_in_order()
    {
        var batch = new SampleBatch(int.MaxValue);
        Assert.True(batch.TryAdd(Json("{\"v\":1}"), "a", 100));
        Assert.True(batch.TryAdd(Json("\"text\""), "b", 100));
        Assert.True(batch.TryAdd(Json("3"), "c", 100));

        var (payload, sources) = batch.Take();

        Assert.Equal("[{\"v\":1},\"text\",3]", Encoding.UTF8.GetString(payload));
        Assert.Equal(new object?[] { "a", "b", "c" }, sources);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(payload).RootElement.ValueKind);
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void The_payload_reaches_the_limit_exactly_and_never_passes_it()
    {
        // [11111,22222] is 13 bytes: it fits a limit of 13 and not of 12.
        var exact = new SampleBatch(int.MaxValue);
        Assert.True(exact.TryAdd(Json("11111"), 1, 13));
        Assert.True(exact.TryAdd(Json("22222"), 2, 13));
        Assert.Equal(13, exact.PayloadBytes);
        Assert.Equal(13, exact.Take().Payload.Length);

        var tight = new SampleBatch(int.MaxValue);
        Assert.True(tight.TryAdd(Json("11111"), 1, 12));
        Assert.False(tight.TryAdd(Json("22222"), 2, 12));
        Assert.Equal("[11111]", Encoding.UTF8.GetString(tight.Take().Payload));
    }

    [Fact]
    public void A_full_batch_refuses_more_samples()
    {
        var batch = new SampleBatch(2);
        Assert.True(batch.TryAdd(Json("1"), 1, 1000));
        Assert.True(batch.TryAdd(Json("2"), 2, 1000));
        Assert.True(batch.IsFull);
        Assert.False(batch.TryAdd(Json("3"), 3, 1000));
    }

    [Theory]
    [InlineData(8, 10, true)]
    [InlineData(9, 10, false)]
    public void A_sample_fits_alone_only_with_its_brackets(int sampleBytes, int limit, bool fits) =>
        Assert.Equal(fits, SampleBatch.FitsAlone(sampleBytes, limit));

    [Fact]
    public void Large_batches_grow_the_buffer_without_losing_samples()
    {
        var batch = new SampleBatch(int.MaxValue);
        var sample = Json(new string('x', 100).Insert(0, "\"") + "\"");
        var added = 0;
        while (batch.TryAdd(sample, added, 51_200))
        {
            added++;
        }

        var (payload, sources) = batch.Take();
        Assert.True(payload.Length <= 51_200);
        Assert.True(payload.Length + sample.Length + 1 > 51_200);
        Assert.Equal(added, sources.Length);
        Assert.Equal(added, JsonDocument.Parse(payload).RootElement.GetArrayLength());
    }
}
