using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Spool;

/// <summary>$.sources.spool[].</summary>
public sealed class SpoolSourceConfigValidatorTests : ConfigSectionTests<SpoolSourceConfigValidatorTests, SpoolSourceConfig>, IConfigSectionCases<SpoolSourceConfig>
{
    public static string SectionPath => "$.sources.spool";

    public static Dictionary<string, (Action<List<SpoolSourceConfig>> Break, string Path, string Says)> Mistakes { get; } = new()
    {
        ["null spool"] = (l => l.Add(null!), "$.sources.spool[1]", "null"),
        ["spool without a directory"] = (l => l[0].Directory = "", "$.sources.spool[0].directory", "directory"),
        ["spool never polled"] = (l => l[0].PollIntervalSeconds = 0, "$.sources.spool[0].pollIntervalSeconds", "positive"),
    };

    static void IConfigSectionCases<SpoolSourceConfig>.ValidateSection(List<SpoolSourceConfig> section, string path, ConfigCheck check) => SpoolSourceConfigValidator.Validate(section, path, check);

    public static List<SpoolSourceConfig> Valid() => [new SpoolSourceConfig { Name = "spool", Directory = "/var/spool/edgetwin" }];
}
