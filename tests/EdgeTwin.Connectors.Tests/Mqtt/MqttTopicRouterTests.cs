using EdgeTwin.Connectors.Mqtt;

namespace EdgeTwin.Connectors.Tests.Mqtt;

public class MqttTopicRouterTests
{
    private static readonly MqttTopicRouter Router = new(
    [
        new MqttSubscription(new MqttSubscriptionConfig { Topic = "plant/{asset}/{metric}", Format = MqttPayloadFormat.Value }, "s0"),
        new MqttSubscription(new MqttSubscriptionConfig { Topic = "plant/#", Format = MqttPayloadFormat.Json }, "s1"),
        new MqttSubscription(new MqttSubscriptionConfig { Topic = "line1/pump2/status", Format = MqttPayloadFormat.Json, Asset = "pump-2", Metric = "status" }, "s2"),
    ]);

    [Fact]
    public void Route_FirstMatchingSubscriptionInConfigOrder_Wins()
    {
        var specific = Router.Route("plant/pump-1/pressure");
        var general = Router.Route("plant/pump-1/pressure/raw");

        Assert.Equal("s0", specific.Subscription!.ConfigPath);
        Assert.Equal(("pump-1", "pressure"), (specific.Asset, specific.Metric));
        Assert.Equal("s1", general.Subscription!.ConfigPath);
        Assert.Equal((null, null), (general.Asset, general.Metric));
    }

    [Fact]
    public void Route_FixedAssetAndMetric_ForATopicThatCarriesNone()
    {
        var b = Router.Route("line1/pump2/status");

        Assert.Equal(("pump-2", "status"), (b.Asset, b.Metric));
        Assert.Equal("mqtt:line1/pump2/status", b.Address);
    }

    [Fact]
    public void Route_UnsubscribedTopic_HasNoSubscription()
    {
        var b = Router.Route("other/topic");

        Assert.Null(b.Subscription);
        Assert.Equal("mqtt:other/topic", b.Address);
    }

    [Fact]
    public void Route_SameTopic_IsResolvedOnce()
    {
        Assert.Same(Router.Route("plant/oven-1/temp"), Router.Route("plant/oven-1/temp"));
        var b = Router.Route("plant/x/y");
        Assert.Same(b.AddressOf("m"), b.AddressOf("m"));
        Assert.Equal("mqtt:plant/x/y#m", b.AddressOf("m"));
    }
}
