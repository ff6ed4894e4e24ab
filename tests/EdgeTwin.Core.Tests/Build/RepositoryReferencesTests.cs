using System.Text.RegularExpressions;

namespace EdgeTwin.Core.Tests.Build;

/// <summary>
/// The repository explains itself: comments and documents point to docs/architecture.md, never to a design note
/// kept outside the repository, and every section they cite exists.
/// </summary>
public sealed partial class RepositoryReferencesTests
{
    private static readonly string[] Folders = ["src", "tests", "config", "packaging", "docs"];
    private static readonly string[] Extensions = [".cs", ".csproj", ".props", ".md", ".json", ".sh", ".js", ".html", ".css"];

    [Fact]
    public void NoFile_PointsToADesignNoteOutsideTheRepository()
    {
        // Built from parts so that this file does not match itself.
        var outside = new Regex("(?<!architecture)(?<![A-Za-z/])" + "design" + @"\.md|\.\./" + "shared/", RegexOptions.CultureInvariant);
        var offenders = RepositoryTextFiles()
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, number: i + 1)))
            .Where(x => outside.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(RepositoryFiles.Path(), x.file)}:{x.number}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    [Fact]
    public void EveryCitedArchitectureSection_Exists()
    {
        var doc = File.ReadAllText(RepositoryFiles.Path("docs", "architecture.md"));
        var cited = RepositoryTextFiles()
            .Append(RepositoryFiles.Path("README.md"))
            .SelectMany(file => CitationPattern().Matches(File.ReadAllText(file)).Select(m => (file, section: m.Groups["section"].Value)))
            .ToList();
        Assert.NotEmpty(cited);
        var missing = cited.Where(c => !SectionExists(doc, c.section)).Select(c => $"{c.file}: §{c.section}").Distinct().ToList();
        Assert.True(missing.Count == 0, "cited sections missing from docs/architecture.md: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("2.3", true)]
    [InlineData("2a", true)]
    [InlineData("4", true)]
    [InlineData("2.12", false)]
    [InlineData("9", false)]
    public void SectionExists_FindsHeadingsAndPrinciples(string section, bool exists) =>
        Assert.Equal(exists, SectionExists(File.ReadAllText(RepositoryFiles.Path("docs", "architecture.md")), section));

    // "4" is a "## 4." heading, "2a" a "### 2a." heading, "2.3" the third numbered principle under "## 2.".
    private static bool SectionExists(string doc, string section)
    {
        var parts = section.Split('.');
        var heading = new Regex($@"^#{{2,3}} {Regex.Escape(parts[0])}\. ", RegexOptions.Multiline);
        var match = heading.Match(doc);
        if (!match.Success) return false;
        if (parts.Length == 1) return true;
        var body = doc[match.Index..];
        var next = new Regex(@"^## ", RegexOptions.Multiline).Match(body, 3);
        if (next.Success) body = body[..next.Index];
        return new Regex($@"^{Regex.Escape(parts[1])}\. ", RegexOptions.Multiline).IsMatch(body);
    }

    [GeneratedRegex(@"architecture\.md §(?<section>[0-9]+[a-z]?(?:\.[0-9]+)?)")]
    private static partial Regex CitationPattern();

    private static IEnumerable<string> RepositoryTextFiles() =>
        Folders.Select(f => RepositoryFiles.Path(f)).Where(Directory.Exists)
            .SelectMany(root => RepositoryFiles.Find(root, name => Extensions.Contains(Path.GetExtension(name))));
}
