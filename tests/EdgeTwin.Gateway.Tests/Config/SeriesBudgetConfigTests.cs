using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Doctor;

namespace EdgeTwin.Gateway.Tests.Config;

/// <summary>$.dedup.memoryBytes: bound, validated with its JSON path, and checked by doctor against the mapped series.</summary>
public sealed class SeriesBudgetConfigTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgetwin-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Json(int pumps, string dedup) => $$"""
        {
          "gateway": { "id": "gw-7", "stateDirectory": "/var/lib/edgetwin-test" },
          "dedup": { {{dedup}} },
          "sources": { "simulator": [ { "name": "load", "generatedPumps": {{pumps}}, "pointsPerSecond": 1000, "channels": ["speed", "flow", "pressure", "power", "vibration"] } ] },
          "sinks": { "file": [ { "name": "out", "directory": "/var/lib/edgetwin-test/out" } ] }
        }
        """;

    [Fact]
    public void MemoryBytes_DefaultsTo160MiB_AndBinds()
    {
        Assert.Equal(160L << 20, ConfigLoader.Load(Json(1, ""), "test.json", _folder).Dedup.MemoryBytes);
        Assert.Equal(300L << 20, ConfigLoader.Load(Json(1, "\"memoryBytes\": 314572800"), "test.json", _folder).Dedup.MemoryBytes);
    }

    [Fact]
    public void MemoryBytes_BelowOneMiB_IsRejectedWithItsPath()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Json(1, "\"memoryBytes\": 1000"), "test.json", _folder));

        Assert.Contains("$.dedup.memoryBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("got 1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_WarnsWhenTheBudgetCannotHoldTheMappedSeries_AndPassesWhenItCan()
    {
        // 5 channels a pump: 100,000 pumps map 500,000 series, ~67 MiB of state, over 64 MiB and within the default 160 MiB.
        var over = DoctorCommand.CheckSeriesBudget(ConfigLoader.Load(Json(100_000, "\"memoryBytes\": 67108864"), "test.json", _folder));
        var within = DoctorCommand.CheckSeriesBudget(ConfigLoader.Load(Json(100_000, ""), "test.json", _folder));

        Assert.Equal(DoctorOutcome.Warning, over.Outcome);
        Assert.Contains("500,000 mapped series", over.Detail, StringComparison.Ordinal);
        Assert.Contains("$.dedup.memoryBytes", over.Detail, StringComparison.Ordinal);
        Assert.Equal(DoctorOutcome.Ok, within.Outcome);
    }
}
