using System.Globalization;
using System.Text.Json.Nodes;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>Builds gateway configurations for tests: a simulator, a spool folder and/or MQTT sources, a file sink, a queue policy.</summary>
public sealed class TestConfig
{
    public TestConfig(TestDirectory dir)
    {
        Dir = dir;
        StateDirectory = dir["state"];
        SinkDirectory = dir["out"];
        SpoolDirectory = dir["inbox"];
    }

    public TestDirectory Dir { get; }

    public string StateDirectory { get; set; }

    public string SinkDirectory { get; set; }

    public string SpoolDirectory { get; set; }

    public bool Spool { get; set; }

    public double SimulatorRate { get; set; }

    public long SimulatorStopAfter { get; set; }

    public int SimulatorPumps { get; set; } = 2;

    public int SimulatorThermal { get; set; } = 1;

    public int SimulatorBatchSize { get; set; } = 1024;

    /// <summary>First simulated timestamp; fixed per test so expected keys are known.</summary>
    public DateTime Epoch { get; set; } = DateTime.UtcNow.AddMinutes(-1);

    public string FullPolicy { get; set; } = "block";

    public long MaxBytes { get; set; } = 1L << 30;

    public long MinFreeDiskBytes { get; set; } = 64L << 20;

    public int MaxSegmentPoints { get; set; } = 16384;

    /// <summary><c>queue.lossRangeSeconds</c>, when set.</summary>
    public double? LossRangeSeconds { get; set; }

    public double MaxFutureSkewSeconds { get; set; } = 300;

    /// <summary>The API section; port 0 by default so that daemons of parallel test runs never fight over a port.</summary>
    public JsonObject Api { get; set; } = new() { ["port"] = 0 };

    public List<JsonObject> ExtraMappings { get; } = [];

    /// <summary>Entries of <c>sinks.kafka</c>.</summary>
    public List<JsonObject> KafkaSinks { get; } = [];

    /// <summary>Entries of <c>sinks.mqtt</c>.</summary>
    public List<JsonObject> MqttSinks { get; } = [];

    /// <summary>Whether the file sink into <see cref="SinkDirectory"/> is configured.</summary>
    public bool FileSink { get; set; } = true;

    public List<JsonObject> ExtraAssets { get; } = [];

    /// <summary>Entries of $.sources.mqtt (see <see cref="MqttTestBroker.Source"/>).</summary>
    public List<JsonObject> MqttSources { get; } = [];

    public double CommitLingerMs { get; set; }

    /// <summary>$.queue.stateCheckpointSeconds (1 s keeps restarts short; a million series want fewer checkpoints).</summary>
    public double CheckpointSeconds { get; set; } = 1;

    /// <summary>$.dedup.recentPoints when set; the default otherwise.</summary>
    public int? RecentPoints { get; set; }

    /// <summary>Entries of $.sources.opcua.</summary>
    public List<JsonObject> OpcUaSources { get; } = [];

    public string Write(string name = "edgetwin.json")
    {
        var assets = new JsonArray
        {
            new JsonObject { ["id"] = "line-1", ["name"] = "Line 1" },
            new JsonObject { ["id"] = "pump-1", ["name"] = "Pump 1", ["parent"] = "line-1" },
            new JsonObject { ["id"] = "oven-1", ["name"] = "Oven 1", ["parent"] = "line-1" },
        };
        foreach (var a in ExtraAssets) assets.Add(a.DeepClone());
        var mappings = new JsonArray { new JsonObject { ["source"] = "spool:pressure-1", ["asset"] = "pump-1", ["metric"] = "inlet_pressure", ["unit"] = "bar" } };
        foreach (var m in ExtraMappings) mappings.Add(m.DeepClone());
        var sources = new JsonObject();
        if (SimulatorRate > 0)
        {
            sources["simulator"] = new JsonArray
            {
                new JsonObject
                {
                    ["name"] = "sim",
                    ["seed"] = 11,
                    ["pointsPerSecond"] = SimulatorRate,
                    ["generatedPumps"] = SimulatorPumps,
                    ["generatedThermalMachines"] = SimulatorThermal,
                    ["stopAfter"] = SimulatorStopAfter,
                    ["batchSize"] = SimulatorBatchSize,
                    ["epoch"] = Epoch.ToString("O", CultureInfo.InvariantCulture),
                },
            };
        }
        if (Spool)
        {
            sources["spool"] = new JsonArray { new JsonObject { ["name"] = "inbox", ["directory"] = SpoolDirectory, ["pollIntervalSeconds"] = 0.2 } };
        }
        if (MqttSources.Count > 0)
        {
            var mqtt = new JsonArray();
            foreach (var m in MqttSources) mqtt.Add(m.DeepClone());
            sources["mqtt"] = mqtt;
        }
        if (OpcUaSources.Count > 0) sources["opcua"] = new JsonArray([.. OpcUaSources.Select(s => s.DeepClone())]);
        var config = new JsonObject
        {
            ["gateway"] = new JsonObject { ["id"] = "gw-test", ["stateDirectory"] = StateDirectory, ["shutdownTimeoutSeconds"] = 20 },
            ["queue"] = new JsonObject
            {
                ["maxBytes"] = MaxBytes,
                ["minFreeDiskBytes"] = MinFreeDiskBytes,
                ["fullPolicy"] = FullPolicy,
                ["maxSegmentPoints"] = MaxSegmentPoints,
                ["stateCheckpointSeconds"] = CheckpointSeconds,
                ["commitLingerMs"] = CommitLingerMs,
            },
            ["validation"] = new JsonObject { ["maxPastSkewSeconds"] = 86400 * 3, ["maxFutureSkewSeconds"] = MaxFutureSkewSeconds },
            ["assets"] = assets,
            ["mappings"] = mappings,
            ["sources"] = sources,
            ["sinks"] = Sinks(),
            ["api"] = Api.DeepClone(),
        };
        if (LossRangeSeconds is { } span) config["queue"]!["lossRangeSeconds"] = span;
        if (RecentPoints is { } recent) config["dedup"] = new JsonObject { ["recentPoints"] = recent };
        var path = Dir[name];
        File.WriteAllText(path, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    private JsonObject Sinks()
    {
        var sinks = new JsonObject();
        if (FileSink) sinks["file"] = new JsonArray { new JsonObject { ["name"] = "out", ["directory"] = SinkDirectory, ["maxFileBytes"] = 8L << 20, ["maxFiles"] = 0 } };
        if (KafkaSinks.Count > 0) sinks["kafka"] = new JsonArray([.. KafkaSinks.Select(k => k.DeepClone())]);
        if (MqttSinks.Count > 0) sinks["mqtt"] = new JsonArray([.. MqttSinks.Select(k => k.DeepClone())]);
        return sinks;
    }
}
