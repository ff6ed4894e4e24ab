using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Kafka;

/// <summary>
/// tests/bench/kafka-drain.sh runs end to end on a small queue and prints both rates and their ratio. The figures
/// themselves are not asserted: speed is measured by running the benchmark, not by the suite.
/// </summary>
[Collection("daemon")]
public sealed partial class KafkaDrainBenchTests
{
    [Fact]
    public void DrainBenchmark_SmallQueue_PrintsTheGatewaysConfluentKafkasAndKcatsRatesAndTheRatios()
    {
        var script = Path.Combine(RepoRoot.Path, "tests", "bench", "kafka-drain.sh");

        var (code, output) = Shell.Run("bash", new Dictionary<string, string> { ["POINTS"] = "20000", ["ASSETS"] = "4" }, script, GatewayBinary.Path);

        Assert.True(code == 0, output);
        var gateway = GatewayRate().Match(output);
        Assert.True(gateway.Success, output);
        Assert.Equal("20000", gateway.Groups[1].Value);
        var kcat = KcatRate().Match(output);
        Assert.True(kcat.Success, output);
        Assert.Equal("20000", kcat.Groups[1].Value);
        var confluent = ConfluentRate().Match(output);
        Assert.True(confluent.Success, output);
        Assert.Equal("20000", confluent.Groups[1].Value);
        Assert.Matches(@"ratio: \d+% of kcat's messages/s", output);
        Assert.Matches(@"confluent.kafka's own producer: \d+% of kcat's messages/s; the drain: \d+% of it", output);
        Assert.Matches(@"confluent.kafka: 20000 messages in [\d.]+ s = [\d,]+ msg/s \(0 failed; without headers\)", output);
        Assert.Matches(@"confluent.kafka: 20000 messages in [\d.]+ s = [\d,]+ msg/s \(without delivery reports\)", output);
        Assert.Matches(@"confluent.kafka: 20000 messages in [\d.]+ s = [\d,]+ msg/s \(without delivery reports or headers\)", output);
    }

    [Fact]
    public void KafkaBench_BadInput_SaysWhatAndWhereAndExitsWithSysexits()
    {
        using var dir = new TestDirectory("kafka-bench");
        var lines = Path.Combine(dir.Path, "lines.tsv");
        File.WriteAllText(lines, "pump-001\t{\"value\":1}\nno tab on this line\n");

        var (noTab, noTabOutput) = Shell.Run(GatewayBinary.Path, "bench", "kafka", "--input", lines);
        var (badProperty, badPropertyOutput) = Shell.Run(GatewayBinary.Path, "bench", "kafka", "--input", lines, "--property", "linger.ms");

        Assert.True(noTab == 65, noTabOutput);
        Assert.Contains("lines.tsv line 2: no key before a TAB", noTabOutput, StringComparison.Ordinal);
        Assert.True(badProperty == 64, badPropertyOutput);
        Assert.Contains("--property 'linger.ms' is not NAME=VALUE", badPropertyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void KafkaBench_ProducesEveryLineWithADeliveryReportAndPrintsTheRate()
    {
        using var dir = new TestDirectory("kafka-bench");
        var lines = Path.Combine(dir.Path, "lines.tsv");
        File.WriteAllLines(lines, Enumerable.Range(0, 2000).Select(i => $"pump-{i % 4:D3}\t{{\"seq\":{i}}}"));

        var (code, output) = Shell.Run(GatewayBinary.Path, "bench", "kafka", "--input", lines, "--property", "test.mock.num.brokers=3");

        Assert.True(code == 0, output);
        var rate = ConfluentRate().Match(output);
        Assert.True(rate.Success, output);
        Assert.Equal("2000", rate.Groups[1].Value);
        Assert.Contains("(0 failed)", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"edgetwin drain: (\d+) messages in [\d.]+ s = [\d,]+ msg/s")]
    private static partial Regex GatewayRate();

    [GeneratedRegex(@"confluent.kafka: (\d+) messages in [\d.]+ s = [\d,]+ msg/s")]
    private static partial Regex ConfluentRate();

    [GeneratedRegex(@"kcat: +(\d+) messages in [\d.]+ s = [\d,]+ msg/s")]
    private static partial Regex KcatRate();
}
