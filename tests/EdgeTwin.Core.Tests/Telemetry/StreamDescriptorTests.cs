using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Telemetry;

public class StreamDescriptorTests
{
    [Fact]
    public void Tags_AreSortedByKeyOrdinally()
    {
        var stream = new StreamDescriptor("a", "m", "s", [new("unit", "bar"), new("Site", "n"), new("line", "1")]);

        Assert.Equal(["Site", "line", "unit"], stream.Tags.Select(t => t.Key));
    }

    [Fact]
    public void Equals_SameFieldsWithTagsInAnotherOrder_IsEqualWithTheSameHash()
    {
        var first = new StreamDescriptor("a", "m", "s", [new("x", "1"), new("y", "2")], "model", "v1", EventKind.Anomaly);
        var second = new StreamDescriptor("a", "m", "s", [new("y", "2"), new("x", "1")], "model", "v1", EventKind.Anomaly);

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    public static TheoryData<string> Variations => new() { "asset", "metric", "source", "tag key", "tag value", "extra tag", "model", "version", "event" };

    [Theory]
    [MemberData(nameof(Variations))]
    public void Equals_AnyFieldDiffering_IsNotEqual(string field)
    {
        var baseline = Make();

        var other = field switch
        {
            "asset" => Make(asset: "b"),
            "metric" => Make(metric: "n"),
            "source" => Make(source: "t"),
            "tag key" => Make(tags: [new("z", "1")]),
            "tag value" => Make(tags: [new("x", "2")]),
            "extra tag" => Make(tags: [new("x", "1"), new("y", "1")]),
            "model" => Make(model: "other"),
            "version" => Make(version: "v2"),
            _ => Make(kind: EventKind.Loss),
        };

        Assert.NotEqual(baseline, other);
    }

    [Fact]
    public void Constructor_NullNames_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new StreamDescriptor(null!, "m", "s"));
        Assert.Throws<ArgumentNullException>(() => new StreamDescriptor("a", null!, "s"));
        Assert.Throws<ArgumentNullException>(() => new StreamDescriptor("a", "m", null!));
    }

    [Theory]
    [InlineData(EventKind.None, null)]
    [InlineData(EventKind.Loss, "loss")]
    [InlineData(EventKind.Anomaly, "anomaly")]
    [InlineData(EventKind.GatewayState, "gateway_state")]
    public void EventKinds_ToWireAndParse_RoundTrip(EventKind kind, string? wire)
    {
        Assert.Equal(wire, EventKinds.ToWire(kind));
        Assert.Equal(kind, EventKinds.Parse(wire));
    }

    private static StreamDescriptor Make(string asset = "a", string metric = "m", string source = "s", KeyValuePair<string, string>[]? tags = null,
        string? model = "model", string? version = "v1", EventKind kind = EventKind.Anomaly) =>
        new(asset, metric, source, tags ?? [new("x", "1")], model, version, kind);
}
