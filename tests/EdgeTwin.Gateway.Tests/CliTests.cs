using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests;

[Collection("daemon")]
public sealed class CliTests
{
    [Fact]
    public void CheckConfig_InvalidFile_ReportsEveryErrorWithItsPath_AndExits78()
    {
        using var dir = new TestDirectory("checkcfg");
        var path = dir["bad.json"];
        File.WriteAllText(path, """
            // three mistakes
            {
              "gateway": { "id": "gw|1", "stateDirectory": "state" },
              "queue": { "fullPolicy": "sometimes" },
              "assets": [ { "id": "pump-1" } ],
              "mappings": [ { "source": "x", "asset": "nope", "metric": "m" } ],
              "sinks": { "file": [ { "name": "out", "directory": "out" } ] },
            }
            """);
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "check-config", path);
        Assert.Equal(78, code);
        Assert.Contains("$.gateway.id", output, StringComparison.Ordinal);
        Assert.Contains("$.queue.fullPolicy", output, StringComparison.Ordinal);
        Assert.Contains("$.mappings[0].asset", output, StringComparison.Ordinal);
        Assert.Contains("3 configuration error(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_InvalidConfig_StopsStartupWithExit78_AndCreatesNoState()
    {
        using var dir = new TestDirectory("runbad");
        var path = dir["bad.json"];
        File.WriteAllText(path, """{ "gateway": { "stateDirectory": "state", "colour": "blue" }, "sinks": { "file": [ { "name": "o", "directory": "out" } ] } }""");
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "run", "--config", path);
        Assert.Equal(78, code);
        Assert.Contains("colour", output, StringComparison.Ordinal);
        Assert.Contains("$.gateway", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir["state"]));
    }

    [Fact]
    public void CheckConfig_ShippedConfigs_AreValid()
    {
        foreach (var file in new[] { "demo.json", "edgetwin.json" })
        {
            var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "check-config", Path.Combine(RepoRoot.Path, "config", file));
            Assert.True(code == 0, $"{file}: {output}");
            Assert.Contains("OK", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    [Fact]
    public void SecondDaemon_OnTheSameStateDirectory_ExitsTempFail()
    {
        using var dir = new TestDirectory("lock");
        var config = new TestConfig(dir) { Spool = true };
        var path = config.Write();
        using var first = GatewayProcess.Start("run", "--config", path);
        Wait.Until(() => StatusFile.Read(config.StateDirectory) is not null, TimeSpan.FromSeconds(30), "the first daemon's status.json");
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "run", "--config", path);
        Assert.Equal(75, code);
        Assert.Contains("in use", output, StringComparison.Ordinal);
        var (statsCode, stats) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "stats", "--config", path);
        Assert.True(statsCode == 0, stats);
        Assert.Contains("live", stats, StringComparison.Ordinal);
        first.Terminate();
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, first.ExitCode);
    }
}
