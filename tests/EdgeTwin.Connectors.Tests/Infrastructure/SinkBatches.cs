using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Infrastructure;

/// <summary>Batches for a sink under test, and the sink worker's way of sending them.</summary>
internal static class SinkBatches
{
    /// <summary>Segments of points cycling over <paramref name="streams"/>, 1 ms apart, so each series' timestamps strictly increase.</summary>
    public static IEnumerable<SinkBatch> Cycling(StreamDescriptor[] streams, long baseTicks, int segments, int pointsPerSegment)
    {
        var n = 0;
        for (var s = 1; s <= segments; s++)
        {
            var points = new List<TelemetryPoint>(pointsPerSegment);
            for (var i = 0; i < pointsPerSegment; i++, n++)
            {
                points.Add(new TelemetryPoint(streams[n % streams.Length], baseTicks + n * 10_000L, PointValue.FromNumber(n), Quality.Good, 0));
            }
            yield return new SinkBatch(s, s, points);
        }
    }

    /// <summary>
    /// What the sink worker does: the same batch again after a failure <paramref name="transient"/> accepts, until it is
    /// confirmed with nothing rejected; returns how many attempts failed.
    /// </summary>
    public static async Task<int> SendUntilConfirmedAsync(ISink sink, SinkBatch batch, Func<Exception, bool> transient)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        for (var failures = 0; ; failures++)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"batch {batch.FirstSegmentId} not confirmed within 60 s ({failures} failures)");
            try
            {
                Assert.Empty((await sink.SendAsync(batch, CancellationToken.None)).Rejected);
                return failures;
            }
            catch (Exception e) when (transient(e))
            {
                await Task.Delay(200);
            }
        }
    }
}
