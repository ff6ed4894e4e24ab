using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests;

/// <summary>
/// One file means the same paths and the same config hash in run, check-config and doctor: relative paths resolve
/// against the working directory, for a file on disk as for the embedded demo.
/// </summary>
[Collection("daemon")]
public sealed partial class ConfigPathsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void DemoFile_AndEmbeddedDemo_SamePathsAndHash_InRunCheckConfigAndDoctor()
    {
        using var dir = new TestDirectory("config-paths");
        // The file lies in a folder below the working directory, so its folder and the working directory differ.
        Directory.CreateDirectory(dir["conf"]);
        File.Copy(Path.Combine(RepoRoot.Path, "config", "demo.json"), dir["conf/demo.json"]);
        var expectedState = Path.Combine(dir.Path, "edgetwin-demo", "state");

        var (code, output) = GatewayProcess.RunIn(dir.Path, Timeout, "check-config", "conf/demo.json");
        Assert.True(code == 0, output);
        var check = StateAndHash().Match(output);
        Assert.True(check.Success, output);
        Assert.Equal(expectedState, check.Groups["state"].Value);
        // Each relative path is named, with what a service started in / would make of it.
        Assert.Contains("note: $.gateway.stateDirectory \"./edgetwin-demo/state\" is relative: here it is " + expectedState, output, StringComparison.Ordinal);
        Assert.Contains("reads it as /edgetwin-demo/state", output, StringComparison.Ordinal);
        Assert.Contains("note: $.sinks.file[0].directory \"./edgetwin-demo/out\"", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.RunIn(dir.Path, Timeout, "doctor", "--config", "conf/demo.json");
        Assert.True(code != 78, output);
        var doctor = StateAndHash().Match(output);
        Assert.True(doctor.Success, output);
        Assert.Equal(expectedState, doctor.Groups["state"].Value);
        Assert.Equal(check.Groups["hash"].Value, doctor.Groups["hash"].Value);
        Assert.Contains("$.sources.spool[0].directory \"./edgetwin-demo/inbox\" is relative", output, StringComparison.Ordinal);

        // run: with the file, and with the embedded demo (no --config); each logs its hash and state before the API
        // starts, so port 8470 being taken by something else on this machine does not matter here.
        foreach (var args in new[] { new[] { "run", "--config", "conf/demo.json" }, new[] { "run" } })
        {
            using var daemon = GatewayProcess.StartIn(dir.Path, args);
            Wait.Until(() => daemon.HasExited || Starting().IsMatch(daemon.Output), Timeout, "the start-up line of " + string.Join(' ', args));
            var run = Starting().Match(daemon.Output);
            Assert.True(run.Success, daemon.Output);
            Assert.Equal(expectedState, run.Groups["state"].Value);
            Assert.Equal(check.Groups["hash"].Value, run.Groups["hash"].Value);
            daemon.Terminate();
            Assert.True(daemon.WaitForExit(Timeout), daemon.Output);
        }

        Assert.False(Directory.Exists(dir["conf/edgetwin-demo"]), "a path was resolved against the file's folder");
    }

    [Fact]
    public void CheckConfig_CountsEverySourceAndSinkKind_AndTheSimulatorsMappings()
    {
        using var dir = new TestDirectory("config-summary");
        var config = new TestConfig(dir) { FileSink = false };
        config.OpcUaSources.Add(new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = "plc", ["url"] = "opc.tcp://127.0.0.1:4840",
            ["groups"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
            {
                ["nodes"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["node"] = "nsu=urn:x;s=A", ["asset"] = "pump-1", ["metric"] = "a" }),
            }),
        });
        config.KafkaSinks.Add(new System.Text.Json.Nodes.JsonObject { ["name"] = "uplink", ["bootstrapServers"] = "127.0.0.1:9092" });
        var (code, output) = GatewayProcess.Run(Timeout, "check-config", config.Write());
        Assert.True(code == 0, output);
        Assert.Contains("1 source(s) (1 opcua)", output, StringComparison.Ordinal);
        Assert.Contains("1 sink(s) (1 kafka)", output, StringComparison.Ordinal);

        // The demo: 6 mappings listed, 3 more that the simulator adds for the oven's channels; two kinds of source.
        (code, output) = GatewayProcess.Run(Timeout, "check-config", Path.Combine(RepoRoot.Path, "config", "demo.json"));
        Assert.True(code == 0, output);
        Assert.Contains("9 mapping(s) (6 configured + 3 from simulator channels)", output, StringComparison.Ordinal);
        Assert.Contains("2 source(s) (1 simulator, 1 spool)", output, StringComparison.Ordinal);
        Assert.Contains("1 sink(s) (1 file)", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"state in (?<state>/\S+); hash (?<hash>[0-9a-f]{12})")]
    private static partial Regex StateAndHash();

    [GeneratedRegex(@"starting: gateway \S+, config .* \(hash (?<hash>[0-9a-f]{12})\), state in (?<state>/\S+)")]
    private static partial Regex Starting();
}
