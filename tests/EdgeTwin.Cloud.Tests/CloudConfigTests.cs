using EdgeTwin.Cloud.Config;
using EdgeTwin.Cloud.Tests.Infrastructure;

namespace EdgeTwin.Cloud.Tests;

public sealed class CloudConfigTests
{
    private static readonly Func<string, string?> NoEnv = _ => null;

    [Fact]
    public void Parse_ReadsCommentsTrailingCommasAndEverySection()
    {
        var c = CloudConfigLoader.Parse("""
            // the cloud companion
            {
              "kafka": { "bootstrapServers": "k1:9092,k2:9092", "groupId": "twin", "topics": { "telemetry": "t" },
                         "properties": { "security.protocol": "ssl" }, },
              "postgres": { "connectionString": "Host=db;Username=twin", "migrateOnStart": false },
              "ingest": { "batchMessages": 100, "batchMilliseconds": 20, "retryMaxSeconds": 2.5 },
              "api": { "listen": "http://0.0.0.0:9000", "token": "0123456789abcdef" },
            }
            """, "cloud.json", NoEnv);
        Assert.Equal("k1:9092,k2:9092", c.Kafka.BootstrapServers);
        Assert.Equal("twin", c.Kafka.GroupId);
        Assert.Equal("t", c.Kafka.TelemetryTopic);
        Assert.Equal("edge-events", c.Kafka.EventsTopic);
        Assert.Equal("ssl", c.Kafka.Properties["security.protocol"]);
        Assert.False(c.Postgres.MigrateOnStart);
        Assert.Equal(100, c.Ingest.BatchMessages);
        Assert.Equal(2.5, c.Ingest.RetryMaxSeconds);
        Assert.Equal("0123456789abcdef", c.Api.Token);
    }

    [Fact]
    public void Parse_ReportsEveryErrorWithItsJsonPath()
    {
        var e = Assert.Throws<CloudConfigException>(() => CloudConfigLoader.Parse("""
            {
              "kafka": { "groupId": 7, "topics": { "telemetri": "x" }, "properties": { "enable.auto.commit": "true" } },
              "postgres": { "connectionString": "Host=db" },
              "ingest": { "batchMessages": 0 },
              "api": { "listen": "ftp://x", "token": "short" },
              "extra": {}
            }
            """, "cloud.json", NoEnv));
        Assert.Contains("$.kafka.groupId: expected a string, found the number 7", e.Errors);
        Assert.Contains("$.kafka.topics.telemetri: unknown property", e.Errors);
        Assert.Contains(e.Errors, x => x.StartsWith("$.kafka.properties.enable.auto.commit: set by the service itself", StringComparison.Ordinal));
        Assert.Contains("$.extra: unknown property", e.Errors);
        Assert.Contains(e.Errors, x => x.StartsWith("$.kafka.bootstrapServers: required", StringComparison.Ordinal));
        Assert.Contains("$.ingest.batchMessages: 0 is not between 1 and 1000000", e.Errors);
        Assert.Contains(e.Errors, x => x.StartsWith("$.api.listen: 'ftp://x'", StringComparison.Ordinal));
        Assert.Contains("$.api.token: shorter than 16 characters", e.Errors);
        Assert.StartsWith("cloud.json: 8 configuration error(s)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SecretsFromTheEnvironmentOverrideTheFile()
    {
        var env = new Dictionary<string, string> { ["EDGETWIN_CLOUD_POSTGRES"] = "Host=secret", ["EDGETWIN_CLOUD_API_TOKEN"] = "from-the-environment" };
        var c = CloudConfigLoader.Parse("""{ "kafka": { "bootstrapServers": "k:9092" } }""", "cloud.json", k => env.GetValueOrDefault(k));
        Assert.Equal("Host=secret", c.Postgres.ConnectionString);
        Assert.Equal("from-the-environment", c.Api.Token);
    }

    [Fact]
    public void CheckConfigVerb_Exits78WithThePath_AndZeroWhenValid()
    {
        var dir = Directory.CreateTempSubdirectory("edgetwin-cloud-config").FullName;
        try
        {
            var bad = Path.Combine(dir, "bad.json");
            File.WriteAllText(bad, """{ "kafka": { "bootstrapServers": "k:9092" }, "postgres": { "connectionString": "Host=db", "migrateOnStart": "yes" } }""");
            var (code, output) = CloudProcess.Run(TimeSpan.FromSeconds(60), "check-config", "--config", bad);
            Assert.Equal(78, code);
            Assert.Contains("$.postgres.migrateOnStart: expected true or false, found the string \"yes\"", output, StringComparison.Ordinal);

            var good = CloudProcess.WriteConfig(dir, "k:9092", "Host=db;Username=twin");
            (code, output) = CloudProcess.Run(TimeSpan.FromSeconds(60), "check-config", "--config", good);
            Assert.True(code == 0, output);
            Assert.Contains("valid", output, StringComparison.Ordinal);

            (code, output) = CloudProcess.Run(TimeSpan.FromSeconds(60), "run", "--config", Path.Combine(dir, "missing.json"));
            Assert.Equal(78, code);
            Assert.Contains("$: cannot read the file", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
