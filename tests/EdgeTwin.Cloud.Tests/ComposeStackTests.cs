using System.Text.RegularExpressions;

namespace EdgeTwin.Cloud.Tests;

/// <summary>
/// packaging/cloud/docker-compose.yml is valid for Debian's docker-compose (no Docker engine runs here), and it holds
/// exactly the services README "Cloud service" names, each long-running one with a health check.
/// </summary>
public sealed partial class ComposeStackTests
{
    private static string Root => RepoRoot.Path;

    private static (int Code, string Output) Compose(params string[] args) =>
        Shell.RunWith("docker-compose", ["--env-file", ".env.example", .. args], TimeSpan.FromSeconds(60), Path.Combine(Root, "packaging", "cloud"));

    [Fact]
    public void ComposeFile_IsValid_AndHoldsEveryServiceTheReadmeNames()
    {
        var (code, output) = Compose("config", "-q");
        Assert.True(code == 0, output);

        (code, output) = Compose("config", "--services");
        Assert.True(code == 0, output);
        var services = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var start = readme.IndexOf("### The compose stack", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no '### The compose stack' section");
        var end = readme.IndexOf("\n#", start + 10, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        var named = ServiceRow().Matches(section).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.True(named.Count >= 8, "the README's compose table names too few services: " + string.Join(",", named));
        Assert.Empty(named.Except(services));
        Assert.Empty(services.Except(named));
        foreach (var s in new[] { "kafka", "timescaledb", "neo4j", "temporal", "temporal-ui", "grafana", "edgetwin-cloud" }) Assert.Contains(s, services);
    }

    [Fact]
    public void ComposeFile_LongRunningServicesHaveHealthChecksAndVolumes_AndSecretsComeFromTheEnvFile()
    {
        var (code, output) = Compose("config");
        Assert.True(code == 0, output);
        var blocks = ServiceBlocks(output);
        foreach (var s in new[] { "kafka", "timescaledb", "neo4j", "temporal", "grafana", "edgetwin-cloud" })
            Assert.True(blocks[s].Contains("healthcheck:", StringComparison.Ordinal), $"{s} has no health check");
        foreach (var s in new[] { "kafka", "timescaledb", "neo4j", "grafana" })
            Assert.True(blocks[s].Contains("volumes:", StringComparison.Ordinal), $"{s} keeps no volume");
        Assert.Contains("change-me-postgres", blocks["timescaledb"], StringComparison.Ordinal);
        Assert.Contains("--topic edge-telemetry", blocks["kafka-init"], StringComparison.Ordinal);
        Assert.Contains("--topic edge-twin-metadata", blocks["kafka-init"], StringComparison.Ordinal);
        var compose = File.ReadAllText(Path.Combine(Root, "packaging", "cloud", "docker-compose.yml"));
        Assert.DoesNotContain("change-me", compose, StringComparison.Ordinal);
    }

    /// <summary>The text of each service in `docker-compose config` output (two-space indented under services:).</summary>
    private static Dictionary<string, string> ServiceBlocks(string yaml)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var inServices = false;
        foreach (var line in yaml.Split('\n'))
        {
            if (line.Trim().Length == 0) continue; // blank lines inside multi-line scalars (kafka-init's script)
            if (!line.StartsWith(' ')) inServices = line.StartsWith("services:", StringComparison.Ordinal);
            else if (inServices && line.Length > 2 && line[2] != ' ' && line.TrimEnd().EndsWith(':')) blocks[current = line.Trim().TrimEnd(':')] = "";
            else if (inServices && current is not null) blocks[current] += line + "\n";
        }
        return blocks;
    }

    [GeneratedRegex(@"^\| `([a-z0-9-]+)` \|", RegexOptions.Multiline)]
    private static partial Regex ServiceRow();
}
