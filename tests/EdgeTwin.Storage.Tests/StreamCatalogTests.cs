using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class StreamCatalogTests
{
    [Fact]
    public void GetOrAdd_SameDescriptorTwice_ReturnsTheSameIdAndNewOnesTheNext()
    {
        var catalog = new StreamCatalog();
        var a = Stream("a", "m");

        var first = catalog.GetOrAdd(a);

        Assert.Equal(first, catalog.GetOrAdd(Stream("a", "m")));
        Assert.Equal(first + 1, catalog.GetOrAdd(Stream("b", "m")));
        Assert.Equal(a, catalog.Get(first));
        Assert.Null(catalog.Get(0));
        Assert.Null(catalog.Get(-1));
        Assert.Null(catalog.Get(first + 2));
        Assert.Equal(2, catalog.Count);
    }

    [Fact]
    public void Streams_WithTagsModelVersionAndEventKind_ReadBackEqualAfterReopen()
    {
        using var ctx = new QueueContext();
        var model = new StreamDescriptor("pump-3", "anomaly_score", "onnx:pump-iforest", [new("unit", "1"), new("window", "60s")], "pump-iforest", "v1.2", EventKind.Anomaly);
        var plain = new StreamDescriptor("pump-3", "speed", "opcua:nsu=urn:plc;s=Pump3.Speed");
        var sameSeriesOtherSource = new StreamDescriptor("pump-3", "speed", "mqtt:plant/pump-3/speed", [new("unit", "rpm")]);
        var points = new List<TelemetryPoint>
        {
            new(model, At(1), PointValue.FromNumber(0.93), Quality.Good, 0),
            new(plain, At(1), PointValue.FromNumber(1450), Quality.Good, 0),
            new(sameSeriesOtherSource, At(2), PointValue.FromNumber(1460), Quality.Good, 0),
        };
        var queue = ctx.Open();
        queue.CommitPoints(points);
        queue.Dispose();

        using var reopened = ctx.Open();

        var read = reopened.ReadAllPoints();
        AssertSame(points, read);
        Assert.Equal("v1.2", read[0].Stream.ModelVersion);
        Assert.Equal(EventKind.Anomaly, read[0].Stream.EventKind);
        Assert.Equal(3, reopened.Streams.Count);
    }
}
