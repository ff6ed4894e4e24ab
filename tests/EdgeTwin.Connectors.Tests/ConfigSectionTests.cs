using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests;

/// <summary>A connector's config section as its validator tests see it: a valid section, and mistakes that each break one key.</summary>
public interface IConfigSectionCases<TSection>
{
    /// <summary>Where the section sits in the file, e.g. <c>$.sources.mqtt</c>.</summary>
    static abstract string SectionPath { get; }

    /// <summary>One mistake each, applied to <see cref="Valid"/>, with the path the error must name and a word the message must contain.</summary>
    static abstract Dictionary<string, (Action<List<TSection>> Break, string Path, string Says)> Mistakes { get; }

    static abstract List<TSection> Valid();

    static abstract void ValidateSection(List<TSection> section, string path, ConfigCheck check);
}

/// <summary>
/// One mistake at a time gives one error at its JSON path. The section is validated against an asset registry of
/// line-1, pump-1, pump-2 and valve-1 and no mappings.
/// </summary>
public abstract class ConfigSectionTests<TCases, TSection> where TCases : IConfigSectionCases<TSection>
{
    public static TheoryData<string> MistakeNames => [.. TCases.Mistakes.Keys];

    [Fact]
    public void Validate_TheBaseSection_HasNoErrors() => Assert.Empty(Validate(TCases.Valid()));

    [Theory]
    [MemberData(nameof(MistakeNames))]
    public void Validate_OneMistake_GivesOneErrorAtItsPath(string mistake)
    {
        var (breakIt, path, says) = TCases.Mistakes[mistake];
        var section = TCases.Valid();
        breakIt(section);

        var error = Assert.Single(Validate(section));

        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    protected static IReadOnlyList<ConfigError> Validate(List<TSection> section)
    {
        var check = new ConfigCheck([new AssetConfig { Id = "line-1" }, new AssetConfig { Id = "pump-1" }, new AssetConfig { Id = "pump-2" }, new AssetConfig { Id = "valve-1" }], []);
        TCases.ValidateSection(section, TCases.SectionPath, check);
        return check.Errors;
    }
}
