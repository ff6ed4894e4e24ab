using System.Text.RegularExpressions;

namespace EdgeTwin.Core.Tests.Build;

/// <summary>
/// LiteDB is EdgeTwin.Storage's business: no source file outside src/EdgeTwin.Storage names a LiteDB type or namespace,
/// so the rest of the gateway sees the queue's own API and its <c>StorageException</c>, never the engine beneath.
/// The Gateway's csproj may still name LiteDB in <c>TrimmerRootAssembly</c>: that roots the engine's assembly for the
/// trimmer (it is used through BsonDocument, which trimming analysis cannot follow), and is a build setting of the
/// executable, not code that depends on LiteDB; only *.cs files are scanned.
/// </summary>
public sealed partial class StorageBoundaryTests
{
    [GeneratedRegex(@"\busing\s+LiteDB\b|\bLiteDB\s*\.\s*[A-Z]|\b(LiteException|LiteDatabase|ILiteCollection|BsonDocument|BsonValue|BsonArray|BsonMapper|BsonAutoId)\b", RegexOptions.CultureInvariant)]
    private static partial Regex LiteDbType();

    /// <summary>The lines of <paramref name="text"/> that name a LiteDB type or namespace, as "line: text".</summary>
    internal static IEnumerable<string> LiteDbMentions(string text) =>
        text.Split('\n').Select((line, i) => (line, number: i + 1)).Where(x => LiteDbType().IsMatch(x.line)).Select(x => $"{x.number}: {x.line.Trim()}");

    [Fact]
    public void NoSourceOutsideStorage_NamesALiteDbType()
    {
        var storage = RepositoryFiles.Path("src", "EdgeTwin.Storage") + Path.DirectorySeparatorChar;
        var files = RepositoryFiles.Find(RepositoryFiles.Path("src"), name => name.EndsWith(".cs", StringComparison.Ordinal))
            .Where(f => !f.StartsWith(storage, StringComparison.Ordinal))
            .ToList();
        Assert.Contains(files, f => f.Contains($"{Path.DirectorySeparatorChar}EdgeTwin.Gateway{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var offenders = files
            .SelectMany(f => LiteDbMentions(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(RepositoryFiles.Path(), f)}:{m}"))
            .ToList();
        Assert.True(offenders.Count == 0, "LiteDB outside src/EdgeTwin.Storage:" + Environment.NewLine + string.Join(Environment.NewLine, offenders));
    }

    [Theory]
    [InlineData("using LiteDB;")]
    [InlineData("catch (Exception ex) when (ex is IOException or LiteDB.LiteException)")]
    [InlineData("catch (LiteException ex)")]
    [InlineData("var doc = new BsonDocument { [\"_id\"] = 1 };")]
    [InlineData("BsonValue v = 3;")]
    [InlineData("ILiteCollection<X> c;")]
    public void Scanner_FindsLiteDbInSampleCode(string line)
    {
        var sample = "namespace Sample;\n// a comment\n" + line + "\n";
        Assert.Equal([$"3: {line}"], LiteDbMentions(sample));
    }

    [Theory]
    [InlineData("// The pipeline commits to the durable LiteDB queue")]
    [InlineData("catch (StorageException ex)")]
    [InlineData("<TrimmerRootAssembly Include=\"LiteDB\" />")]
    public void Scanner_LeavesTextWithoutLiteDbTypes(string line)
    {
        Assert.Empty(LiteDbMentions(line));
    }
}
