using System.Xml.Linq;

namespace EdgeTwin.Core.Tests.Build;

/// <summary>
/// The repository must restore on a machine that has only the .NET SDK and network to the NuGet registry: a package
/// source that is a local folder (present on our build machines, absent everywhere else) fails every restore of a
/// package not already cached with NU1301.
/// </summary>
public sealed class NuGetSourcesTests
{
    [Fact]
    public void EveryNuGetConfig_NamesOnlyRemoteHttpsSources()
    {
        var configs = FindFiles(RepositoryFiles.Path(), name => name.Equals("nuget.config", StringComparison.OrdinalIgnoreCase));
        Assert.NotEmpty(configs);
        var problems = new List<string>();
        foreach (var file in configs)
        {
            var sources = XDocument.Load(file).Root?.Element("packageSources");
            Assert.NotNull(sources);
            Assert.True(sources.Element("clear") is not null, $"{file}: packageSources must start with <clear /> so the sources are the repository's own");
            foreach (var add in sources.Elements("add"))
            {
                var value = (string?)add.Attribute("value") ?? "";
                if (!IsRemote(value)) problems.Add($"{file}: source '{add.Attribute("key")?.Value}' is '{value}', which a fresh machine does not have");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void NoProjectOrPropsFile_AddsRestoreSources()
    {
        var files = FindFiles(RepositoryFiles.Path(), name => name.EndsWith(".csproj", StringComparison.Ordinal) || name.EndsWith(".props", StringComparison.Ordinal) || name.EndsWith(".targets", StringComparison.Ordinal));
        Assert.NotEmpty(files);
        var offenders = files.Where(f =>
        {
            var text = File.ReadAllText(f);
            return text.Contains("<RestoreSources", StringComparison.Ordinal) || text.Contains("<RestoreAdditionalProjectSources", StringComparison.Ordinal);
        }).ToList();
        Assert.True(offenders.Count == 0, "restore sources set outside nuget.config: " + string.Join(", ", offenders));
    }

    [Theory]
    [InlineData("https://api.nuget.org/v3/index.json", true)]
    [InlineData("/opt/nuget/packages", false)]
    [InlineData("../packages", false)]
    [InlineData("file:///opt/nuget/packages", false)]
    [InlineData("http://mirror.example/v3/index.json", false)]
    public void IsRemote_TellsRegistriesFromFolders(string value, bool remote) => Assert.Equal(remote, IsRemote(value));

    private static bool IsRemote(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;

    private static List<string> FindFiles(string root, Func<string, bool> match) => [.. RepositoryFiles.Find(root, match)];
}
