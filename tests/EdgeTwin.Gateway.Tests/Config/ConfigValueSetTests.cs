using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;

namespace EdgeTwin.Gateway.Tests.Config;

/// <summary>
/// Modes, policies and other closed sets are enums bound from their JSON names: a value outside the set is one
/// error at its path, in the technician's words (the value, the allowed ones, the line), never a .NET type name,
/// and it is reported together with every other mistake in the file.
/// </summary>
public sealed partial class ConfigValueSetTests
{
    private static readonly Dictionary<string, (string Path, string Value, string Says)> Cases = new()
    {
        ["simulated unknown model"] = ("$.sources.simulator[0].assets[0].model", "turbine", "'turbine'"),
        ["mqtt protocol 4"] = ("$.sources.mqtt[0].protocolVersion", "4", "'4'"),
        ["mqtt unknown format"] = ("$.sources.mqtt[0].subscriptions[0].format", "xml", "'xml'"),
        ["mqtt unknown epoch unit"] = ("$.sources.mqtt[0].subscriptions[1].epochUnit", "minutes", "'minutes'"),
        ["kafka unknown compression"] = ("$.sinks.kafka[0].compression", "brotli", "'brotli'"),
        ["kafka unknown security protocol"] = ("$.sinks.kafka[0].security.protocol", "tls", "'tls'"),
        ["kafka sasl with an unknown mechanism"] = ("$.sinks.kafka[0].security.saslMechanism", "GSSAPI", "'GSSAPI'"),
        ["unknown full policy"] = ("$.queue.fullPolicy", "dropNewest", "'dropNewest'"),
        ["full policy in the wrong case"] = ("$.queue.fullPolicy", "DropOldest", "'DropOldest'"),
        ["opcua unknown security mode"] = ("$.sources.opcua[0].securityMode", "signed", "'signed'"),
        ["opcua unknown security policy"] = ("$.sources.opcua[0].securityPolicy", "Basic128Rsa15", "'Basic128Rsa15'"),
        ["opcua unknown identity"] = ("$.sources.opcua[0].identity.type", "kerberos", "'kerberos'"),
        ["opcua unknown mode"] = ("$.sources.opcua[0].groups[0].mode", "push", "'push'"),
        ["opcua unknown deadband"] = ("$.sources.opcua[0].groups[0].deadbandType", "relative", "'relative'"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Load_ValueOutsideItsSet_IsOneErrorAtItsPath(string name)
    {
        var (path, value, says) = Cases[name];
        var json = JsonSerializer.SerializeToNode(Base(), ConfigJsonContext.Default.EdgeTwinConfig)!;
        Set(json, path, value);

        var error = Assert.Single(Fails(json.ToJsonString()).Errors);

        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
        Assert.Contains(" is not \"", error.Message, StringComparison.Ordinal);
        Assert.Contains("(line 1, column ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("EdgeTwin", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TheBase_IsValid() =>
        ConfigLoader.Load(JsonSerializer.Serialize(Base(), ConfigJsonContext.Default.EdgeTwinConfig), "test.json", "/");

    [Fact]
    public void Load_UnknownPolicy_SaysTheValueAndTheAllowedOnes()
    {
        var error = Assert.Single(Fails("""{ "queue": { "fullPolicy": "dropNewest" }, "sinks": { "file": [ { "name": "out", "directory": "/x" } ] } }""").Errors);

        Assert.Equal("$.queue.fullPolicy", error.Path);
        Assert.Equal("'dropNewest' is not \"block\" or \"dropOldest\" (line 1, column 28)", error.Message);
    }

    [Fact]
    public void Load_NumberWhereAModeBelongs_IsATypeErrorNamingTheAllowedValues()
    {
        var error = Assert.Single(Fails("""{ "queue": { "fullPolicy": 1 }, "sinks": { "file": [ { "name": "out", "directory": "/x" } ] } }""").Errors);

        Assert.Equal("$.queue.fullPolicy", error.Path);
        Assert.StartsWith("expected \"block\" or \"dropOldest\", found a number (1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_AndWrittenConfig_KeepTheJsonNames()
    {
        var config = ConfigLoader.Load(JsonSerializer.Serialize(Base(), ConfigJsonContext.Default.EdgeTwinConfig), "test.json", "/");

        var written = JsonSerializer.Serialize(config, ConfigJsonContext.Default.EdgeTwinConfig);

        Assert.Contains("\"fullPolicy\": \"block\"", written, StringComparison.Ordinal);
        Assert.Contains("\"mode\": \"subscription\"", written, StringComparison.Ordinal);
        Assert.Contains("\"protocolVersion\": \"5\"", written, StringComparison.Ordinal);
        Assert.Contains("\"saslMechanism\": \"PLAIN\"", written, StringComparison.Ordinal);
        Assert.Contains("\"protocol\": \"sasl_ssl\"", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OpcUaSection_BindsUnderItsLowerCaseName()
    {
        const string json = """
            {
              "assets": [ { "id": "pump-1" } ],
              "sinks": { "file": [ { "name": "out", "directory": "/tmp/out" } ] },
              "sources": { "opcua": [ { "name": "plc", "url": "opc.tcp://plc:4840", "groups": [
                { "mode": "polling", "publishingIntervalMs": 500, "nodes": [ { "node": "nsu=urn:plc;i=42", "asset": "pump-1", "metric": "speed" } ] } ] } ] }
            }
            """;
        var config = ConfigLoader.Load(json, "test.json", Path.GetTempPath());

        var source = Assert.Single(config.Sources.OpcUa);
        Assert.Equal("opc.tcp://plc:4840", source.Url);
        Assert.Equal(OpcUaGroupMode.Polling, source.Groups[0].Mode);
        Assert.Equal("nsu=urn:plc;i=42", source.Groups[0].Nodes[0].Node);
        Assert.Empty(ConfigValidator.Validate(config));
    }

    private static ConfigException Fails(string json) => Assert.Throws<ConfigException>(() => ConfigLoader.Load(json, "test.json", "/"));

    private static EdgeTwinConfig Base()
    {
        var config = ConfigValidatorTests.Valid();
        config.Sinks.Kafka.Add(new KafkaSinkConfig
        {
            Name = "cloud",
            BootstrapServers = "kafka-1:9092",
            Security = new KafkaSecurityConfig { Protocol = KafkaSecurityProtocol.SaslSsl, SaslMechanism = KafkaSaslMechanism.Plain, Username = "gw", Password = "secret" },
        });
        config.Sources.OpcUa.Add(new OpcUaSourceConfig
        {
            Name = "plc",
            Url = "opc.tcp://plc-1.local:4840/UA",
            Groups = [new OpcUaNodeGroupConfig { Nodes = [new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Line1.Pressure", Asset = "pump-1", Metric = "line_pressure" }] }],
        });
        return config;
    }

    private static void Set(JsonNode root, string path, string value)
    {
        var steps = Step().Matches(path).ToList();
        var node = root;
        foreach (var step in steps[..^1]) node = step.Groups[1].Success ? node[step.Groups[1].Value]! : node[int.Parse(step.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)]!;
        node[steps[^1].Groups[1].Value] = value;
    }

    [GeneratedRegex(@"\.(\w+)|\[(\d+)\]")]
    private static partial Regex Step();

    [Fact]
    public void EveryClosedSetKey_BindsAsText_SoNoEnumHasJsonMetadataOfItsOwn()
    {
        var enumKeys = new List<string>();
        var closedSetKeys = new List<string>();
        Walk(ConfigJsonContext.Default.EdgeTwinConfig, "$", new HashSet<Type>());

        Assert.Empty(enumKeys);
        Assert.All(Cases.Values, c => Assert.Contains(Generic(c.Path), closedSetKeys));
        Assert.Contains("$.sources.mqtt[].subscriptions[].rawType", closedSetKeys);
        Assert.Contains("$.sources.mqtt[].subscriptions[].byteOrder", closedSetKeys);

        void Walk(System.Text.Json.Serialization.Metadata.JsonTypeInfo info, string path, HashSet<Type> seen)
        {
            if (!seen.Add(info.Type)) return;
            if (info.ElementType is { } element) Walk(info.Options.GetTypeInfo(element), path + "[]", seen);
            foreach (var property in info.Properties)
            {
                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                var at = $"{path}.{property.Name}";
                if (type.IsEnum) enumKeys.Add(at);
                if (property.CustomConverter is IConfigEnumConverter) closedSetKeys.Add(at);
                if (type != typeof(string) && !type.IsPrimitive) Walk(info.Options.GetTypeInfo(property.PropertyType), at, seen);
            }
            seen.Remove(info.Type);
        }

        static string Generic(string path) => Regex.Replace(path, @"\[\d+\]", "[]");
    }
}
