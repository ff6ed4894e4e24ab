using System.Buffers;
using System.Text;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;

namespace EdgeTwin.Core.Tests.Assets;

/// <summary>
/// Generated mappings keep no address string per series: the address is derived from a prefix, the asset id and the
/// metric. Everything that sees the address must see exactly what a whole-address mapping gives.
/// </summary>
public class DerivedMappingTests
{
    private static readonly long Ts = new DateTime(2026, 12, 7, 2, 0, 0, DateTimeKind.Utc).Ticks;

    [Fact]
    public void DerivedSource_IsEqualToTheWholeAddress_WithTheSameHash()
    {
        var derived = StreamDescriptor.WithDerivedSource("sim:", "pump-00001", "pressure", [new("unit", "bar")]);
        var whole = new StreamDescriptor("pump-00001", "pressure", "sim:pump-00001/pressure", [new("unit", "bar")]);

        Assert.Equal("sim:pump-00001/pressure", derived.Source);
        Assert.Equal("sim:", derived.SourcePrefix);
        Assert.Null(whole.SourcePrefix);
        Assert.True(derived.Equals(whole));
        Assert.True(whole.Equals(derived));
        Assert.Equal(whole.GetHashCode(), derived.GetHashCode());
        Assert.NotEqual(whole, StreamDescriptor.WithDerivedSource("mqtt:", "pump-00001", "pressure", [new("unit", "bar")]));
        Assert.NotEqual(whole, new StreamDescriptor("pump-00001", "pressure", "sim:pump-00001/pressure"));
    }

    [Theory]
    [InlineData("pump-00001", "pressure")]
    [InlineData("Kessel-ü", "Temperatur")] // not plain ASCII: the escaped form, exactly as for the whole address
    [InlineData("line \"7\"", "flow")]
    public void Wire_DerivedSource_IsByteForByteTheWholeAddressLine(string asset, string metric)
    {
        var derived = StreamDescriptor.WithDerivedSource("sim:", asset, metric);
        var whole = new StreamDescriptor(asset, metric, "sim:" + asset + "/" + metric);

        Assert.Equal(Line(whole), Line(derived));
        Assert.Contains("\"source\":", Line(derived), StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_DerivedMapping_IsFoundByItsAddress_CountedAndListed()
    {
        var registry = Registry("pump-1");

        var (target, added) = registry.AddDerivedMapping("sim:", "pump-1", "speed", "rpm");

        Assert.True(added);
        Assert.Equal("sim:", target.Stream.SourcePrefix);
        Assert.True(registry.TryMap("sim:pump-1/speed", out var found));
        Assert.Same(target, found);
        Assert.True(registry.TryMap("sim:", "pump-1", "speed", out found));
        Assert.Same(target, found);
        Assert.False(registry.TryMap("sim:", "pump-1", "flow", out _));
        Assert.False(registry.TryMap("sim:pump-1/flow", out _));
        Assert.False(registry.TryMap("sim:pump-2/speed", out _));
        Assert.False(registry.TryMap("mqtt:pump-1/speed", out _));
        Assert.Equal(1, registry.MappingCount);
        Assert.Equal("sim:pump-1/speed", Assert.Single(registry.Mappings).Key);
        Assert.Equal("rpm", target.Unit);
        Assert.Equal([new("unit", "rpm")], target.Stream.Tags);
    }

    [Fact]
    public void Registry_AnExplicitMapping_WinsOverADerivedOne_AndADerivedOneIsNotMappedTwice()
    {
        var registry = new AssetRegistry([new AssetConfig { Id = "pump-1" }],
            [new MappingConfig { Source = "sim:pump-1/speed", Asset = "pump-1", Metric = "shaft_speed", Unit = "rpm", Scale = 2 }]);

        var (target, added) = registry.AddDerivedMapping("sim:", "pump-1", "speed", "rpm");

        Assert.False(added);
        Assert.Equal("shaft_speed", target.Stream.Metric);
        Assert.True(registry.TryMap("sim:", "pump-1", "speed", out var byParts));
        Assert.Same(target, byParts);
        Assert.True(registry.AddDerivedMapping("sim:", "pump-1", "flow", "m3/h").Added);
        Assert.False(registry.AddDerivedMapping("sim:", "pump-1", "flow", "m3/h").Added);
        Assert.False(registry.AddMapping("sim:pump-1/flow", "pump-1", "other", null));
        Assert.Equal(2, registry.MappingCount);
    }

    [Fact]
    public void Registry_AssetIdWithASlash_IsSplitAtTheLastOne_AndAMetricWithOneKeepsItsAddress()
    {
        var registry = Registry("line/pump-1", "pump-2");

        var (slashed, _) = registry.AddDerivedMapping("sim:", "line/pump-1", "speed", null);
        var (metricSlash, _) = registry.AddDerivedMapping("sim:", "pump-2", "a/b", null);

        Assert.True(registry.TryMap("sim:line/pump-1/speed", out var found));
        Assert.Same(slashed, found);
        Assert.True(registry.TryMap("sim:pump-2/a/b", out found));
        Assert.Same(metricSlash, found);
        Assert.True(registry.TryMap("sim:", "pump-2", "a/b", out found));
        Assert.Same(metricSlash, found);
        Assert.Null(metricSlash.Stream.SourcePrefix);
        Assert.Equal("sim:", slashed.Stream.SourcePrefix);
    }

    [Fact]
    public void Registry_AMappingToAnAssetItDoesNotHold_KeepsItsAddress()
    {
        var registry = Registry();

        var (target, added) = registry.AddDerivedMapping("sim:", "pump-9", "speed", null);

        Assert.True(added);
        Assert.Null(target.Stream.SourcePrefix);
        Assert.True(registry.TryMap("sim:pump-9/speed", out var found));
        Assert.Same(target, found);
    }

    [Fact]
    public void Registry_Known_FindsTheDerivedInstance_ForAWholeAddressCopy()
    {
        var registry = Registry("pump-1");
        var (target, _) = registry.AddDerivedMapping("sim:", "pump-1", "speed", "rpm");

        var copy = new StreamDescriptor("pump-1", "speed", "sim:pump-1/speed", [new("unit", "rpm")]);

        Assert.Same(target.Stream, registry.Known(copy));
        Assert.Null(registry.Known(new StreamDescriptor("pump-1", "speed", "sim:pump-1/speed")));
    }

    [Fact]
    public void Normalizer_AReadingThatCarriesItsTarget_LandsOnIt_AndNamesItsAddressWhenQuarantined()
    {
        var registry = Registry("pump-1");
        var (target, _) = registry.AddDerivedMapping("sim:", "pump-1", "speed", "rpm");
        var normalizer = new Normalizer(registry, new ValidationConfig());

        Assert.True(normalizer.TryNormalize(Reading.ForTarget(target, Ts, PointValue.FromNumber(1450)), Ts, out var point, out var landed, out _, out _));
        Assert.Same(target, landed);
        Assert.Same(target.Stream, point.Stream);

        Assert.False(normalizer.TryNormalize(Reading.ForTarget(target, Ts, PointValue.FromNumber(double.NaN)), Ts, out _, out _, out _, out var detail));
        Assert.Contains("'sim:pump-1/speed'", detail, StringComparison.Ordinal);
        Assert.Equal("sim:pump-1/speed", Reading.ForTarget(target, Ts, PointValue.FromNumber(1)).Address);
    }

    private static AssetRegistry Registry(params string[] assets) => new(assets.Select(a => new AssetConfig { Id = a }), []);

    private static string Line(StreamDescriptor stream)
    {
        var output = new ArrayBufferWriter<byte>();
        new WirePointWriter("gw").Write(new TelemetryPoint(stream, Ts, PointValue.FromNumber(1.5), Quality.Good, 0), output, (byte)'\n');
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
