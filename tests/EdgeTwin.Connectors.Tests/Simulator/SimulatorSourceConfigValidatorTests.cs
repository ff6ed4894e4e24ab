using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Simulator;

/// <summary>$.sources.simulator[].</summary>
public sealed class SimulatorSourceConfigValidatorTests : ConfigSectionTests<SimulatorSourceConfigValidatorTests, SimulatorSourceConfig>, IConfigSectionCases<SimulatorSourceConfig>
{
    public static string SectionPath => "$.sources.simulator";

    public static Dictionary<string, (Action<List<SimulatorSourceConfig>> Break, string Path, string Says)> Mistakes { get; } = new()
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

    static void IConfigSectionCases<SimulatorSourceConfig>.ValidateSection(List<SimulatorSourceConfig> section, string path, ConfigCheck check) => SimulatorSourceConfigValidator.Validate(section, path, check);

    public static List<SimulatorSourceConfig> Valid() => [new SimulatorSourceConfig { Name = "sim", Assets = [new SimulatedAssetConfig { Asset = "pump-1", Model = SimulatedModel.Pump }], Epoch = "2026-11-24T00:00:00Z" }];
}
