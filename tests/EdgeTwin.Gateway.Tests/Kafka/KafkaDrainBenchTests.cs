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
    public void DrainBenchmark_SmallQueue_PrintsTheGatewaysAndKcatsRatesAndTheRatio()
    {
        var script = Path.Combine(GatewayBinary.RepositoryRoot, "tests", "bench", "kafka-drain.sh");

        var (code, output) = Shell.Run("bash", new Dictionary<string, string> { ["POINTS"] = "20000", ["ASSETS"] = "4" }, script, GatewayBinary.Path);

        Assert.True(code == 0, output);
        var gateway = GatewayRate().Match(output);
        Assert.True(gateway.Success, output);
        Assert.Equal("20000", gateway.Groups[1].Value);
        var kcat = KcatRate().Match(output);
        Assert.True(kcat.Success, output);
        Assert.Equal("20000", kcat.Groups[1].Value);
        Assert.Matches(@"ratio: \d+% of kcat's messages/s", output);
    }

    [GeneratedRegex(@"edgetwin drain: (\d+) messages in [\d.]+ s = [\d,]+ msg/s")]
    private static partial Regex GatewayRate();

    [GeneratedRegex(@"kcat: +(\d+) messages in [\d.]+ s = [\d,]+ msg/s")]
    private static partial Regex KcatRate();
}
