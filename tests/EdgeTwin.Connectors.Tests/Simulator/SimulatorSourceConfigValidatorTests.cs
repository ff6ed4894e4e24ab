using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Simulator;

/// <summary>$.sources.simulator[]: one mistake at a time gives one error at its JSON path.</summary>
public sealed class SimulatorSourceConfigValidatorTests
{
    private static readonly Dictionary<string, (Action<List<SimulatorSourceConfig>> Break, string Path, string Says)> Mistakes = new()
    {
        ["null simulator"] = (l => l.Add(null!), "$.sources.simulator[1]", "null"),
        ["simulator without a name"] = (l => l[0].Name = "", "$.sources.simulator[0].name", "unique"),
        ["simulator at zero rate"] = (l => l[0].PointsPerSecond = 0, "$.sources.simulator[0].pointsPerSecond", "positive"),
        ["simulator batch of zero"] = (l => l[0].BatchSize = 0, "$.sources.simulator[0].batchSize", "between"),
        ["negative stop-after"] = (l => l[0].StopAfter = -1, "$.sources.simulator[0].stopAfter", "negative"),
        ["negative catch-up bound"] = (l => l[0].MaxCatchUpSeconds = -5, "$.sources.simulator[0].maxCatchUpSeconds", "0 or more, got -5"),
        ["catch-up bound that is no number"] = (l => l[0].MaxCatchUpSeconds = double.NaN, "$.sources.simulator[0].maxCatchUpSeconds", "got NaN"),
        ["negative generated pumps"] = (l => l[0].GeneratedPumps = -1, "$.sources.simulator[0].generatedPumps", "negative"),
        ["negative generated machines"] = (l => l[0].GeneratedThermalMachines = -1, "$.sources.simulator[0].generatedThermalMachines", "negative"),
        ["epoch that is no time"] = (l => l[0].Epoch = "yesterday", "$.sources.simulator[0].epoch", "'yesterday'"),
        ["simulator of nothing"] = (l => l[0].Assets.Clear(), "$.sources.simulator[0].assets", "nothing"),
        ["null simulated asset"] = (l => l[0].Assets.Add(null!), "$.sources.simulator[0].assets[1]", "null"),
        ["simulated unknown asset"] = (l => l[0].Assets[0].Asset = "pump-9", "$.sources.simulator[0].assets[0].asset", "'pump-9'"),
    };

    public static TheoryData<string> MistakeNames => [.. Mistakes.Keys];

    [Fact]
    public void Validate_TheBaseSection_HasNoErrors() => Assert.Empty(Validate(Valid()));

    [Theory]
    [MemberData(nameof(MistakeNames))]
    public void Validate_OneMistake_GivesOneErrorAtItsPath(string mistake)
    {
        var (breakIt, path, says) = Mistakes[mistake];
        var section = Valid();
        breakIt(section);

        var error = Assert.Single(Validate(section));

        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    private static IReadOnlyList<ConfigError> Validate(List<SimulatorSourceConfig> section)
    {
        var check = new ConfigCheck([new AssetConfig { Id = "line-1" }, new AssetConfig { Id = "pump-1" }, new AssetConfig { Id = "pump-2" }, new AssetConfig { Id = "valve-1" }], []);
        SimulatorSourceConfigValidator.Validate(section, "$.sources.simulator", check);
        return check.Errors;
    }

    private static List<SimulatorSourceConfig> Valid() => [new SimulatorSourceConfig { Name = "sim", Assets = [new SimulatedAssetConfig { Asset = "pump-1", Model = SimulatedModel.Pump }], Epoch = "2026-11-24T00:00:00Z" }];
}
