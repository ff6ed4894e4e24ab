using EdgeTwin.Connectors.File;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>$.sinks.file[].</summary>
public sealed class FileSinkConfigValidatorTests : ConfigSectionTests<FileSinkConfigValidatorTests, FileSinkConfig>, IConfigSectionCases<FileSinkConfig>
{
    public static string SectionPath => "$.sinks.file";

    public static Dictionary<string, (Action<List<FileSinkConfig>> Break, string Path, string Says)> Mistakes { get; } = new()
    {
        ["null file sink"] = (l => l.Add(null!), "$.sinks.file[1]", "null"),
        ["two sinks of one name"] = (l => l.Add(new FileSinkConfig { Name = "out", Directory = "/x" }), "$.sinks.file[1].name", "unique"),
        ["sink without a directory"] = (l => l[0].Directory = "", "$.sinks.file[0].directory", "directory"),
        ["tiny sink files"] = (l => l[0].MaxFileBytes = 10, "$.sinks.file[0].maxFileBytes", "4096"),
        ["negative sink file count"] = (l => l[0].MaxFiles = -1, "$.sinks.file[0].maxFiles", "negative"),
        ["sink batch of zero"] = (l => l[0].MaxBatchPoints = 0, "$.sinks.file[0].maxBatchPoints", "at least 1"),
    };

    static void IConfigSectionCases<FileSinkConfig>.ValidateSection(List<FileSinkConfig> section, string path, ConfigCheck check) => FileSinkConfigValidator.Validate(section, path, check);

    public static List<FileSinkConfig> Valid() => [new FileSinkConfig { Name = "out", Directory = "/var/lib/edgetwin/out" }];
}
