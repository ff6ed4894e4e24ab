using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Spool;

/// <summary>$.sources.spool[]: one mistake at a time gives one error at its JSON path.</summary>
public sealed class SpoolSourceConfigValidatorTests
{
    private static readonly Dictionary<string, (Action<List<SpoolSourceConfig>> Break, string Path, string Says)> Mistakes = new()
    {
        ["null spool"] = (l => l.Add(null!), "$.sources.spool[1]", "null"),
        ["spool without a directory"] = (l => l[0].Directory = "", "$.sources.spool[0].directory", "directory"),
        ["spool never polled"] = (l => l[0].PollIntervalSeconds = 0, "$.sources.spool[0].pollIntervalSeconds", "positive"),
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

    private static IReadOnlyList<ConfigError> Validate(List<SpoolSourceConfig> section)
    {
        var check = new ConfigCheck([new AssetConfig { Id = "line-1" }, new AssetConfig { Id = "pump-1" }, new AssetConfig { Id = "pump-2" }, new AssetConfig { Id = "valve-1" }], []);
        SpoolSourceConfigValidator.Validate(section, "$.sources.spool", check);
        return check.Errors;
    }

    private static List<SpoolSourceConfig> Valid() => [new SpoolSourceConfig { Name = "spool", Directory = "/var/spool/edgetwin" }];
}
