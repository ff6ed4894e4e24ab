using EdgeTwin.Core.Config;

namespace EdgeTwin.Storage.Tests;

/// <summary>$.queue and $.quarantine: one mistake at a time gives one error at its JSON path.</summary>
public sealed class QueueConfigValidatorTests
{
    private static readonly Dictionary<string, (Action<(QueueConfig Queue, QuarantineConfig Quarantine)> Break, string Path, string Says)> Mistakes = new()
    {
        ["queue under 1 MiB"] = (c => c.Queue.MaxBytes = 1000, "$.queue.maxBytes", "1048576"),
        ["negative free-disk watermark"] = (c => c.Queue.MinFreeDiskBytes = -1, "$.queue.minFreeDiskBytes", "negative"),
        ["zero loss range span"] = (c => c.Queue.LossRangeSeconds = 0, "$.queue.lossRangeSeconds", "between 1 and 604800"),
        ["loss range span over a week"] = (c => c.Queue.LossRangeSeconds = 8 * 86400, "$.queue.lossRangeSeconds", "got 691200"),
        ["NaN loss range span"] = (c => c.Queue.LossRangeSeconds = double.NaN, "$.queue.lossRangeSeconds", "got NaN"),
        ["tiny loss ledger"] = (c => c.Queue.LossLedgerMaxRecords = 10, "$.queue.lossLedgerMaxRecords", "between 100 and 1000000, got 10"),
        ["zero segment points"] = (c => c.Queue.MaxSegmentPoints = 0, "$.queue.maxSegmentPoints", "between"),
        ["zero commit delay"] = (c => c.Queue.MaxCommitDelayMs = 0, "$.queue.maxCommitDelayMs", "positive"),
        ["no ingest capacity"] = (c => c.Queue.IngestCapacityBatches = 0, "$.queue.ingestCapacityBatches", "at least 1"),
        ["infinite checkpoint interval"] = (c => c.Queue.StateCheckpointSeconds = double.PositiveInfinity, "$.queue.stateCheckpointSeconds", "positive"),
        ["no quarantine entries"] = (c => c.Quarantine.MaxEntries = 0, "$.quarantine.maxEntries", "at least 1"),
        ["tiny quarantine"] = (c => c.Quarantine.MaxBytes = 100, "$.quarantine.maxBytes", "4096"),
        ["zero quarantine age"] = (c => c.Quarantine.MaxAgeDays = 0, "$.quarantine.maxAgeDays", "positive"),
    };

    public static TheoryData<string> MistakeNames => [.. Mistakes.Keys];

    [Fact]
    public void Validate_TheDefaults_HaveNoErrors() => Assert.Empty(Validate(new QueueConfig(), new QuarantineConfig()));

    [Theory]
    [MemberData(nameof(MistakeNames))]
    public void Validate_OneMistake_GivesOneErrorAtItsPath(string mistake)
    {
        var (breakIt, path, says) = Mistakes[mistake];
        var sections = (Queue: new QueueConfig(), Quarantine: new QuarantineConfig());
        breakIt(sections);

        var error = Assert.Single(Validate(sections.Queue, sections.Quarantine));

        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PolicyOutsideItsSet_NamesTheAllowedValues()
    {
        var queue = new QueueConfig { FullPolicy = ConfigEnumNames<QueueFullPolicy>.Undefined };

        var error = Assert.Single(Validate(queue, new QuarantineConfig()));

        Assert.Equal("$.queue.fullPolicy", error.Path);
        Assert.Equal("is not \"block\" or \"dropOldest\"", error.Message);
    }

    [Fact]
    public void FromConfig_TakesThePolicyAndBounds()
    {
        var options = QueueOptions.FromConfig("/state", new QueueConfig { FullPolicy = QueueFullPolicy.DropOldest, MaxBytes = 2 << 20 }, new DedupConfig { HistoryPerSeries = 8 }, new QuarantineConfig { MaxEntries = 5 });

        Assert.Equal(QueueFullPolicy.DropOldest, options.FullPolicy);
        Assert.Equal("/state", options.Directory);
        Assert.Equal(2 << 20, options.MaxBytes);
        Assert.Equal(8, options.HistoryPerSeries);
        Assert.Equal(5, options.QuarantineMaxEntries);
    }

    private static IReadOnlyList<ConfigError> Validate(QueueConfig queue, QuarantineConfig quarantine)
    {
        var check = new ConfigCheck([], []);
        QueueConfigValidator.Queue(queue, "$.queue", check);
        QueueConfigValidator.Quarantine(quarantine, "$.quarantine", check);
        return check.Errors;
    }
}
