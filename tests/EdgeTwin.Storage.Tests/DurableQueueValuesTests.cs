using System.Buffers;
using System.Text.Json;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>Arrays, structures and tagged scalars through the durable queue: commit, reopen, drain, dedup, quarantine.</summary>
public class DurableQueueValuesTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");
    private static readonly StreamDescriptor Wave = Stream("line-1", "waveform");
    private static readonly StreamDescriptor State = Stream("line-1", "state");

    [Fact]
    public void ScalarsQueuedBeforeArraysAndAfterAReopen_DrainEachInItsOwnVersion()
    {
        using var ctx = new QueueContext();
        var before = Series(Pressure, 0, 3);
        var queue = ctx.Open();
        queue.CommitPoints(before);
        queue.Dispose();

        using var reopened = ctx.Open();
        var after = new List<TelemetryPoint>
        {
            new(Wave, At(3), PointValue.FromArray(ArrayValue.FromNumbers([.. Enumerable.Range(0, 4096).Select(i => i * 0.5)])), Quality.Good, 0),
            new(Wave, At(4), PointValue.FromArray(ArrayValue.FromNumbers([1, 2, 3, 4], [2, 2])), Quality.Good, 0),
            new(State, At(5), PointValue.FromNumber(1, "Running"), Quality.Good, 0),
            new(State, At(6), PointValue.FromStructure("{\"Speed\":1}"), Quality.Good, 0),
            Number(Pressure, 7, 7),
        };
        reopened.CommitPoints(after);

        var drained = reopened.ReadAllPoints();

        AssertSame([.. before, .. after], drained);
        Assert.Equal(["1.0", "1.0", "1.0", "1.1", "1.1", "1.1", "1.1", "1.0"], drained.Select(Version));
        Assert.Equal(new KeyValuePair<string, string>("enum", "Running"), drained[5].Value.Tag);
    }

    [Fact]
    public void ArraySeries_DedupAfterReopen_AndQuarantinedArraysKeepTheirElements()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var wave = new TelemetryPoint(Wave, At(1), PointValue.FromArray(ArrayValue.FromNumbers([1.5, double.NaN])), Quality.Good, 0);
        var record = new QuarantineRecord(QuarantineReason.NonFiniteValue, "an array element is NaN", "opcua:plc", At(2),
            new Reading("opcua:nsu=urn:plc;s=Wave", At(1), wave.Value, 0, null, "line-1", "waveform"));
        queue.CommitPoints([new TelemetryPoint(Wave, At(0), PointValue.FromArray(ArrayValue.FromBooleans([true])), Quality.Good, 0)], r => r.Quarantine.Add(record));
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.Equal(DedupOutcome.Duplicate, reopened.Probe([new TelemetryPoint(Wave, At(0), PointValue.FromNumber(0), Quality.Good, 0)])[0]);
        var listed = Assert.Single(reopened.ListQuarantine());
        Assert.Equal(wave.Value, listed.Reading.Value);
    }

    [Fact]
    public void QuarantinedTaggedScalars_KeepTheirTagsAcrossAReopen()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var values = new[] { PointValue.FromNumber(3, "Fault"), PointValue.FromString("Störung", "de-DE"), PointValue.FromNumber(4), PointValue.FromString("plain") };
        queue.CommitPoints([], r =>
        {
            for (var i = 0; i < values.Length; i++)
            {
                r.Quarantine.Add(new QuarantineRecord(QuarantineReason.InvalidPayload, "test", "opcua:plc", At(10 + i),
                    new Reading("opcua:nsu=urn:plc;s=State", At(i), values[i], 0, null, "line-1", "state")));
            }
        });
        queue.Dispose();

        using var reopened = ctx.Open();
        var listed = reopened.ListQuarantine().OrderBy(q => q.Reading.TimestampTicks).Select(q => q.Reading.Value).ToArray();

        Assert.Equal(values, listed);
        Assert.Equal(values.Select(v => v.Tag), listed.Select(v => v.Tag));
        Assert.Equal(["1.1", "1.1", "1.0", "1.0"], listed.Select(v => v.WireVersion));
    }

    private static string Version(TelemetryPoint point)
    {
        var output = new ArrayBufferWriter<byte>();
        new WirePointWriter("gw").Write(point, output, 0);
        using var doc = JsonDocument.Parse(output.WrittenMemory);
        return doc.RootElement.GetProperty("schema_version").GetString()!;
    }
}
