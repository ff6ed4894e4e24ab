using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Tests.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private const string Minimal = """
        {
          "gateway": { "id": "gw-7", "stateDirectory": "/var/lib/edgetwin-test" },
          "assets": [ { "id": "line-1" }, { "id": "pump-1", "parent": "line-1" } ],
          "mappings": [ { "source": "sim:pump-1/pressure", "asset": "pump-1", "metric": "pressure", "unit": "bar" } ],
          "sinks": { "file": [ { "name": "out", "directory": "/var/lib/edgetwin-test/out" } ] }
        }
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("edgetwin-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Load_MinimalConfig_BindsItAndKeepsTheProductionDefaults()
    {
        var config = ConfigLoader.Load(Minimal, "test.json", _folder);

        Assert.Equal("gw-7", config.Gateway.Id);
        Assert.Equal(2, config.Assets.Count);
        Assert.Equal("line-1", config.Assets[1].Parent);
        Assert.Equal("bar", config.Mappings[0].Unit);
        Assert.Equal(1, config.Mappings[0].Scale);
        Assert.Equal(QueueFullPolicy.Block, config.Queue.FullPolicy);
        Assert.Equal(64, config.Dedup.HistoryPerSeries);
        Assert.Equal(300, config.Validation.MaxFutureSkewSeconds);
    }

    [Theory]
    [InlineData("demo.json")]
    [InlineData("edgetwin.json")]
    public void LoadFile_ShippedConfigs_AreValid(string name)
    {
        var config = ConfigLoader.LoadFile(Path.Combine(RepoRoot.Path, "config", name));

        Assert.True(Path.IsPathFullyQualified(config.Gateway.StateDirectory));
        Assert.NotEmpty(config.Sinks.File);
    }

    [Fact]
    public void Load_SinkDrainSettings_BindPerSink_WithDefaultsWhereOmitted()
    {
        const string json = """
            {
              "gateway": { "id": "gw-7", "stateDirectory": "/tmp/x" },
              "sinks": {
                "kafka": [ { "name": "cloud", "bootstrapServers": "k:9092", "drain": { "liveLane": false, "backlogSeconds": 30, "maxPointsPerSecond": 5000 } } ],
                "mqtt": [ { "name": "m", "host": "b" } ]
              }
            }
            """;

        var config = ConfigLoader.Load(json, "test.json", _folder);

        var drain = config.Sinks.Kafka[0].Drain;
        Assert.False(drain.LiveLane);
        Assert.Equal(30, drain.BacklogSeconds);
        Assert.Equal(5000, drain.MaxPointsPerSecond);
        var defaults = config.Sinks.Mqtt[0].Drain;
        Assert.True(defaults.LiveLane);
        Assert.Equal(2, defaults.BacklogSeconds);
        Assert.Equal(0, defaults.MaxPointsPerSecond);
    }

    [Fact]
    public void Load_CommentsAndTrailingCommas_AreAccepted()
    {
        const string json = """
            // EdgeTwin test gateway
            {
              /* the gateway itself */
              "gateway": { "id": "gw-7", "stateDirectory": "/tmp/x", },
              "assets": [ { "id": "pump-1", }, ], // one asset
              "mappings": [],
              "sinks": { "file": [ { "name": "out", "directory": "/tmp/out", /* no more */ }, ], },
            }
            """;

        var config = ConfigLoader.Load(json, "test.json", _folder);

        Assert.Equal("pump-1", Assert.Single(config.Assets).Id);
        Assert.Equal("out", Assert.Single(config.Sinks.File).Name);
    }

    [Theory]
    [InlineData("""{ "gateway": { "id": "gw", "stateDir": "/x" } }""", "$.gateway.stateDir", "'stateDir'")]
    [InlineData("""{ "gatewy": {} }""", "$.gatewy", "'gatewy'")]
    [InlineData("""{ "mappings": [ { "source": "a", "asset": "b", "metric": "c" }, { "source": "d", "scal": 2 } ] }""", "$.mappings[1].scal", "'scal'")]
    [InlineData("""{ "sinks": { "mqtt5": [] } }""", "$.sinks.mqtt5", "'mqtt5'")]
    public void Load_UnknownProperty_IsAnErrorNamingItsJsonPath(string json, string path, string name)
    {
        var error = Assert.Single(AssertFails(json).Errors);

        Assert.Equal(path, error.Path);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TypeError_ReportsThePathAndLine()
    {
        const string json = """
            {
              "gateway": { "id": "gw-7" },
              "queue": {
                "maxBytes": "one gigabyte"
              }
            }
            """;

        var error = Assert.Single(AssertFails(json).Errors);

        Assert.Equal("$.queue.maxBytes", error.Path);
        Assert.Contains("(line 4, column", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Path:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NumberGivenAsString_IsATypeErrorNotACoercion()
    {
        var error = Assert.Single(AssertFails("""{ "dedup": { "historyPerSeries": "64" } }""").Errors);

        Assert.Equal("$.dedup.historyPerSeries", error.Path);
    }

    [Fact]
    public void Load_MalformedJson_ReportsTheLine()
    {
        const string json = """
            {
              "gateway": { "id": "gw-7" }
              "queue": {}
            }
            """;

        var error = Assert.Single(AssertFails(json).Errors);

        Assert.Contains("(line 3, column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_JsonNull_IsAnErrorAtTheRoot()
    {
        var error = Assert.Single(AssertFails("null").Errors);

        Assert.Equal("$", error.Path);
    }

    [Theory]
    [InlineData("""{ "gateway": null }""", "$.gateway")]
    [InlineData("""{ "queue": null }""", "$.queue")]
    [InlineData("""{ "assets": null }""", "$.assets")]
    [InlineData("""{ "mappings": null }""", "$.mappings")]
    [InlineData("""{ "sources": { "simulator": null } }""", "$.sources.simulator")]
    [InlineData("""{ "sinks": null }""", "$.sinks")]
    [InlineData("""{ "gateway": { "id": null } }""", "$.gateway.id")]
    public void Load_NullWhereASectionOrNameBelongs_IsAnErrorNamingItsPath(string json, string path)
    {
        var exception = AssertFails(json);

        Assert.Contains(exception.Errors, e => e.Path == path);
    }

    [Theory]
    [InlineData("""{ "sinks": { "file": [ null ] } }""", "$.sinks.file[0]")]
    [InlineData("""{ "sources": { "spool": [ null ] } }""", "$.sources.spool[0]")]
    [InlineData("""{ "sources": { "simulator": [ null ] } }""", "$.sources.simulator[0]")]
    [InlineData("""{ "sources": { "simulator": [ { "assets": [ null ] } ] } }""", "$.sources.simulator[0].assets[0]")]
    [InlineData("""{ "sources": { "simulator": [ { "assets": [ { "asset": null } ] } ] } }""", "$.sources.simulator[0].assets[0].asset")]
    [InlineData("""{ "assets": [ { "id": "a" }, null ] }""", "$.assets[1]")]
    [InlineData("""{ "mappings": [ null ] }""", "$.mappings[0]")]
    [InlineData("""{ "assets": [ { "id": "a" } ], "mappings": [ { "source": "s", "asset": "a", "metric": "m", "tags": { "site": null } } ] }""", "$.mappings[0].tags.site")]
    public void Load_NullListEntryOrTagValue_IsAnErrorNamingItsPath(string json, string path)
    {
        var exception = AssertFails(json);

        Assert.Contains(exception.Errors, e => e.Path == path);
    }

    [Fact]
    public void Load_ThreeMistakes_ReportsThreeErrorsTogether()
    {
        const string json = """
            {
              "gateway": { "id": "gw-7", "stateDirectory": "/x" },
              "queue": { "fullPolicy": "dropNewest" },
              "assets": [ { "id": "pump-1" } ],
              "mappings": [ { "source": "a", "asset": "pump-9", "metric": "pressure" } ],
              "sinks": { "file": [ { "name": "out", "directory": "/x/out", "maxFileBytes": 10 } ] }
            }
            """;

        var exception = AssertFails(json);

        Assert.Equal(["$.queue.fullPolicy", "$.mappings[0].asset", "$.sinks.file[0].maxFileBytes"], exception.Errors.Select(e => e.Path));
        Assert.Equal("test.json", exception.Source);
        Assert.Contains("3 configuration error(s)", exception.Message, StringComparison.Ordinal);
        Assert.All(exception.Errors, e => Assert.Contains("  " + e.Path + ": ", exception.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void LoadFile_RelativeDirectories_AreResolvedAgainstTheWorkingDirectory_NotTheFilesFolder()
    {
        var configFolder = Directory.CreateDirectory(Path.Combine(_folder, "etc")).FullName;
        var path = Path.Combine(configFolder, "edgetwin.json");
        File.WriteAllText(path, """
            {
              "gateway": { "id": "gw-7", "stateDirectory": "state" },
              "assets": [ { "id": "pump-1" } ],
              "sources": { "spool": [ { "name": "spool", "directory": "./spool/in" } ] },
              "sinks": { "file": [ { "name": "out", "directory": "../out" }, { "name": "abs", "directory": "/srv/edgetwin/out" } ] }
            }
            """);

        // A relative path to the file itself, as a technician types it, from another working directory.
        var cwd = Environment.CurrentDirectory;
        var config = ConfigLoader.LoadFile(Path.GetRelativePath(cwd, path));

        Assert.Equal(Path.Combine(cwd, "state"), config.Gateway.StateDirectory);
        Assert.Equal(Path.Combine(cwd, "spool", "in"), config.Sources.Spool[0].Directory);
        Assert.Equal(Path.GetFullPath(Path.Combine(cwd, "..", "out")), config.Sinks.File[0].Directory);
        Assert.Equal("/srv/edgetwin/out", config.Sinks.File[1].Directory);

        // The same text loaded as the embedded demo is (no file) means the same paths and has the same hash.
        var same = ConfigLoader.Load(File.ReadAllText(path), "(text)", cwd);
        Assert.Equal(ConfigLoader.Hash(config), ConfigLoader.Hash(same));
    }

    [Fact]
    public void LoadFile_MissingFile_IsAnErrorSayingItCannotBeRead()
    {
        var path = Path.Combine(_folder, "absent.json");

        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path));

        Assert.Equal(path, exception.Source);
        var error = Assert.Single(exception.Errors);
        Assert.Equal("$", error.Path);
        Assert.Contains("cannot read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_InvalidConfig_NamesTheFileInTheException()
    {
        var path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, """{ "queue": { "fullPolicy": "never" } }""");

        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path));

        Assert.Equal(path, exception.Source);
        Assert.StartsWith(path + ": ", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_SameConfig_IsStable_AndAnyChangeAltersIt()
    {
        var first = ConfigLoader.Hash(ConfigLoader.Load(Minimal, "a.json", _folder));
        var second = ConfigLoader.Hash(ConfigLoader.Load(Minimal, "b.json", _folder));
        var changed = ConfigLoader.Hash(ConfigLoader.Load(Minimal.Replace("\"bar\"", "\"kPa\"", StringComparison.Ordinal), "a.json", _folder));

        Assert.Equal(12, first.Length);
        Assert.Equal(first, second);
        Assert.NotEqual(first, changed);
    }

    private ConfigException AssertFails(string json) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Load(json, "test.json", _folder));
}
