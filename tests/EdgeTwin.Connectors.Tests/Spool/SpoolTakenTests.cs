using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;

namespace EdgeTwin.Connectors.Tests.Spool;

/// <summary>The drop folder's log line says what became of a file's lines, summed over its batches.</summary>
public sealed class SpoolTakenTests
{
    [Fact]
    public void DescribeTaken_CountsQueuedDuplicatesAndQuarantinedByReason_OverEveryBatch()
    {
        IngestResult[] results =
        [
            new(998, 0, 2, 0, new Dictionary<QuarantineReason, int> { [QuarantineReason.ClockSkewPast] = 1, [QuarantineReason.UnmappedSource] = 1 }),
            new(5, 3, 2, 0, new Dictionary<QuarantineReason, int> { [QuarantineReason.ClockSkewPast] = 2 }),
        ];
        Assert.Equal("1010 line(s), 1003 queued, 3 duplicate(s) dropped, 4 quarantined (3 clock_skew_past, 1 unmapped_source)",
            SpoolSource.DescribeTaken(1010, results));
    }

    [Fact]
    public void DescribeTaken_AllQueued_SaysNoneQuarantined()
    {
        Assert.Equal("2 line(s), 2 queued, 0 quarantined", SpoolSource.DescribeTaken(2, [new IngestResult(2, 0, 0, 0)]));
    }
}
