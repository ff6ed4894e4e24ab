using EdgeTwin.Connectors.File;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>$.sinks.file[]: one mistake at a time gives one error at its JSON path.</summary>
public sealed class FileSinkConfigValidatorTests
{
    private static readonly Dictionary<string, (Action<List<FileSinkConfig>> Break, string Path, string Says)> Mistakes = new()
    {
        ["null file sink"] = (l => l.Add(null!), "$.sinks.file[1]", "null"),
        ["two sinks of one name"] = (l => l.Add(new FileSinkConfig { Name = "out", Directory = "/x" }), "$.sinks.file[1].name", "unique"),
        ["sink without a directory"] = (l => l[0].Directory = "", "$.sinks.file[0].directory", "directory"),
        ["tiny sink files"] = (l => l[0].MaxFileBytes = 10, "$.sinks.file[0].maxFileBytes", "4096"),
        ["negative sink file count"] = (l => l[0].MaxFiles = -1, "$.sinks.file[0].maxFiles", "negative"),
        ["sink batch of zero"] = (l => l[0].MaxBatchPoints = 0, "$.sinks.file[0].maxBatchPoints", "at least 1"),
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

    private static IReadOnlyList<ConfigError> Validate(List<FileSinkConfig> section)
    {
        var check = new ConfigCheck([new AssetConfig { Id = "line-1" }, new AssetConfig { Id = "pump-1" }, new AssetConfig { Id = "pump-2" }, new AssetConfig { Id = "valve-1" }], []);
        FileSinkConfigValidator.Validate(section, "$.sinks.file", check);
        return check.Errors;
    }

    private static List<FileSinkConfig> Valid() => [new FileSinkConfig { Name = "out", Directory = "/var/lib/edgetwin/out" }];
}
