using EdgeTwin.Core.Assets;

namespace EdgeTwin.Core.Tests.Assets;

public class TopicTemplateTests
{
    [Theory]
    [InlineData("plant/{asset}/{metric}", "plant/+/+")]
    [InlineData("plant/{asset}/sensors/{metric}/value", "plant/+/sensors/+/value")]
    [InlineData("site/+/{asset}/#", "site/+/+/#")]
    [InlineData("line1/pump1/pressure", "line1/pump1/pressure")]
    [InlineData("#", "#")]
    [InlineData("$share/edge/plant/{asset}/{metric}", "$share/edge/plant/+/+")]
    [InlineData("a//{metric}", "a//+")]
    public void TryParse_ValidTemplate_GivesTheFilterToSubscribe(string text, string filter)
    {
        Assert.True(TopicTemplate.TryParse(text, out var template, out var error), error);
        Assert.Equal(filter, template!.Filter);
        Assert.Equal(text, template.Text);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("plant/#/x", "last level")]
    [InlineData("plant/a#", "whole level")]
    [InlineData("plant/a+/b", "whole level")]
    [InlineData("plant/{site}/{metric}", "placeholders are whole levels")]
    [InlineData("plant/pre{asset}/{metric}", "placeholders are whole levels")]
    [InlineData("plant/{asset}/{asset}", "appears twice")]
    [InlineData("$share//plant/#", "group")]
    [InlineData("$share/grp/", "no topic filter")]
    [InlineData("$share/g+/a", "group")]
    [InlineData("a\0b", "NUL")]
    public void TryParse_InvalidTemplate_SaysWhy(string text, string says)
    {
        Assert.False(TopicTemplate.TryParse(text, out var template, out var error));
        Assert.Null(template);
        Assert.Contains(says, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plant/{asset}/{metric}", "plant/pump-1/pressure", true, "pump-1", "pressure")]
    [InlineData("plant/{asset}/{metric}", "plant/pump-1", false, null, null)]
    [InlineData("plant/{asset}/{metric}", "plant/pump-1/pressure/x", false, null, null)]
    [InlineData("plant/{asset}/{metric}", "other/pump-1/pressure", false, null, null)]
    [InlineData("plant/{asset}/{metric}", "plant//pressure", true, "", "pressure")]
    [InlineData("{metric}/x/{asset}", "flow/x/pump-2", true, "pump-2", "flow")]
    [InlineData("site/+/{asset}/#", "site/north/pump-3", true, "pump-3", null)]
    [InlineData("site/+/{asset}/#", "site/north/pump-3/a/b", true, "pump-3", null)]
    [InlineData("site/+/{asset}/#", "site/north", false, null, null)]
    [InlineData("line1/pump1/pressure", "line1/pump1/pressure", true, null, null)]
    [InlineData("line1/pump1/pressure", "line1/pump1/Pressure", false, null, null)]
    [InlineData("#", "anything/at/all", true, null, null)]
    [InlineData("#", "$SYS/broker/uptime", false, null, null)]
    [InlineData("{asset}/{metric}", "$SYS/uptime", false, null, null)]
    [InlineData("$SYS/{metric}", "$SYS/uptime", true, null, "uptime")]
    [InlineData("$share/edge/plant/{asset}/{metric}", "plant/pump-1/flow", true, "pump-1", "flow")]
    public void TryMatch_ReadsTheAssetAndMetricFromTheirLevels(string text, string topic, bool matches, string? asset, string? metric)
    {
        Assert.True(TopicTemplate.TryParse(text, out var template, out _));

        var matched = template!.TryMatch(topic, out var a, out var m);

        Assert.Equal(matches, matched);
        if (!matches) return;
        Assert.Equal(asset, a);
        Assert.Equal(metric, m);
    }

    [Fact]
    public void HasAssetAndHasMetric_TellWhichPlaceholdersTheTemplateHas()
    {
        Assert.True(TopicTemplate.TryParse("p/{asset}/x", out var onlyAsset, out _));
        Assert.True(onlyAsset!.HasAsset);
        Assert.False(onlyAsset.HasMetric);
        Assert.True(TopicTemplate.TryParse("p/{metric}", out var onlyMetric, out _));
        Assert.False(onlyMetric!.HasAsset);
        Assert.True(onlyMetric.HasMetric);
    }
}
