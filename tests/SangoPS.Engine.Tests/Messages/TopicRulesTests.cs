using SangoPS.Errors;
using SangoPS.Messages;
using Xunit;

namespace SangoPS.Engine.Tests.Messages;

public class TopicRulesTests
{
    [Theory]
    [InlineData("a", 1)]
    [InlineData("site/host1/cpu", 14)]
    [InlineData("/leading/slash", 14)]
    [InlineData("trailing/", 9)]
    [InlineData("a//b", 4)]
    [InlineData(" ", 1)]
    [InlineData("ü/日本", 9)]
    [InlineData("emoji/😀", 10)]
    public void Valid_topic_names_return_their_utf8_length(string topic, int expectedBytes) =>
        Assert.Equal(expectedBytes, TopicRules.ValidateTopicName(topic));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/+/b", "wildcards")]
    [InlineData("a/#", "wildcards")]
    [InlineData("+", "wildcards")]
    [InlineData("a#b", "wildcards")]
    [InlineData("a\0b", "U+0000")]
    public void Invalid_topic_names_are_refused_with_the_reason(string topic, string reasonWord)
    {
        var error = Assert.Throws<SangoException>(() => TopicRules.ValidateTopicName(topic));
        Assert.Equal(SangoErrorIds.InvalidTopic, error.ErrorId);
        Assert.Equal(SangoErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(topic, error.Target);
        Assert.Contains(reasonWord, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(error.RecommendedAction);
    }

    [Theory]
    [InlineData(0xD800, true)]
    [InlineData(0xDC00, false)]
    public void Lone_surrogates_are_refused(int surrogate, bool inTheMiddle)
    {
        // Built at run time: a lone surrogate in attribute data does not survive test discovery.
        var topic = "a" + (char)surrogate + (inTheMiddle ? "b" : string.Empty);
        var error = Assert.Throws<SangoException>(() => TopicRules.ValidateTopicName(topic));
        Assert.Equal(SangoErrorIds.InvalidTopic, error.ErrorId);
        Assert.Contains("surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_topic_is_refused() =>
        Assert.Equal(SangoErrorIds.InvalidTopic, Assert.Throws<SangoException>(() => TopicRules.ValidateTopicName(null)).ErrorId);

    [Fact]
    public void The_longest_topic_is_65535_utf8_bytes()
    {
        Assert.Equal(65535, TopicRules.ValidateTopicName(new string('a', 65535)));
        var error = Assert.Throws<SangoException>(() => TopicRules.ValidateTopicName(new string('a', 65536)));
        Assert.Contains("65,536", error.Message, StringComparison.Ordinal);

        // Counted in UTF-8 bytes, not characters: 21,846 three-byte characters are 65,538 bytes.
        Assert.Throws<SangoException>(() => TopicRules.ValidateTopicName(new string('日', 21846)));
    }

    [Theory]
    [InlineData("#")]
    [InlineData("+")]
    [InlineData("a/#")]
    [InlineData("a/+/c")]
    [InlineData("+/+/#")]
    [InlineData("a/b")]
    [InlineData("$SYS/#")]
    public void Valid_filters_pass(string filter) => TopicRules.ValidateTopicFilter(filter);

    [Theory]
    [InlineData("")]
    [InlineData("a/b#")]
    [InlineData("a/#/c")]
    [InlineData("##")]
    [InlineData("a+/b")]
    [InlineData("a/+b")]
    [InlineData("a\0")]
    public void Invalid_filters_are_refused(string filter)
    {
        var error = Assert.Throws<SangoException>(() => TopicRules.ValidateTopicFilter(filter));
        Assert.Equal(SangoErrorIds.InvalidTopicFilter, error.ErrorId);
        Assert.Equal(filter, error.Target);
    }

    [Fact]
    public void Control_characters_are_shown_escaped_in_messages()
    {
        var error = Assert.Throws<SangoException>(() => TopicRules.ValidateTopicName("a\0b"));
        Assert.Contains("a\\u0000b", error.Message, StringComparison.Ordinal);
    }
}
