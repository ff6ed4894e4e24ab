using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;

namespace EdgeTwin.Gateway.Tests.Config;

public sealed class ConfigShapeCheckerTests
{
    private static ConfigException Fails(string json) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Load(json, "test.json", Path.GetTempPath()));

    [Fact]
    public void Load_SeveralTypeErrorsAndUnknownKeys_ReportsEveryOneInOneRun()
    {
        const string json = """
            {
              "gateway": { "id": 7, "stateDirectory": "/x" },
              "queue": { "maxBytes": "one gigabyte", "fullPolicy": "block" },
              "sources": {
                "simulator": [ { "name": "sim", "pointsPerSecond": "fast", "color": "red" } ]
              },
              "sinks": { "file": { "name": "out" } },
              "dedup": { "historyPerSeries": 1.5 }
            }
            """;

        var errors = Fails(json).Errors;

        Assert.Equal(
            ["$.gateway.id", "$.queue.maxBytes", "$.sources.simulator[0].pointsPerSecond", "$.sources.simulator[0].color", "$.sinks.file", "$.dedup.historyPerSeries"],
            errors.Select(e => e.Path));
        Assert.StartsWith("expected a string, found a number (7) (line 2,", errors[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("expected a whole number, found a string (\"one gigabyte\") (line 3,", errors[1].Message, StringComparison.Ordinal);
        Assert.StartsWith("expected a number, found a string (\"fast\") (line 5,", errors[2].Message, StringComparison.Ordinal);
        Assert.StartsWith("unknown key 'color'", errors[3].Message, StringComparison.Ordinal);
        Assert.StartsWith("expected a list [ … ], found an object (line 7,", errors[4].Message, StringComparison.Ordinal);
        Assert.Contains("expected a whole number", errors[5].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TypeErrors_NeverNameADotNetType()
    {
        var errors = Fails("""{ "gateway": { "id": [] }, "queue": { "maxBytes": true, "maxCommitDelayMs": {} }, "api": { "port": "x" } }""").Errors;

        Assert.Equal(4, errors.Count);
        Assert.All(errors, e =>
        {
            Assert.DoesNotContain("System.", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Int32", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("EdgeTwin", e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Load_UnknownKey_NamesTheKeysThatBelongThere_AndTheClosestOne()
    {
        var error = Assert.Single(Fails("""{ "gateway": { "stateDir": "/x" } }""").Errors);

        Assert.Equal("$.gateway.stateDir", error.Path);
        Assert.Contains("did you mean \"stateDirectory\"?", error.Message, StringComparison.Ordinal);
        Assert.Contains("keys here: id, stateDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WholeNumberOutOfRange_SaysTheRange()
    {
        var error = Assert.Single(Fails("""{ "api": { "port": 99999999999 } }""").Errors);

        Assert.Equal("$.api.port", error.Path);
        Assert.Contains("expected a whole number", error.Message, StringComparison.Ordinal);
        Assert.Contains("99999999999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ManyErrors_AreCappedWithACount()
    {
        var mappings = string.Join(",", Enumerable.Range(0, 80).Select(i => $$"""{ "source": {{i}} }"""));
        var errors = Fails($$"""{ "mappings": [ {{mappings}} ] }""").Errors;

        Assert.Equal(ConfigShapeChecker.MaxErrors + 1, errors.Count);
        Assert.Equal("and 30 more error(s)", errors[^1].Message);
    }

    [Theory]
    [InlineData("../../../../config/demo.json")]
    [InlineData("../../../../config/edgetwin.json")]
    public void ShippedConfigs_HaveTheRightShape(string relative)
    {
        var path = Path.Combine(RepoRoot.Path, "config", Path.GetFileName(relative));
        var errors = ConfigShapeChecker.Check(File.ReadAllText(path), ConfigJsonContext.Default.EdgeTwinConfig,
            new System.Text.Json.JsonReaderOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });

        Assert.Empty(errors);
    }
}
