using EdgeTwin.Connectors.File;
using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Config;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Config;

/// <summary>
/// Checks a bound configuration as a whole by calling each section's own validator in file order; the sections
/// check ranges and names, and the references between assets, mappings, sources and sinks through one
/// <see cref="ConfigCheck"/>. Every error is collected, so a technician fixes a file in one pass. A new capability
/// adds its line here (docs/architecture.md §5).
/// </summary>
public static class ConfigValidator
{
    public static IReadOnlyList<ConfigError> Validate(EdgeTwinConfig config) => Validate(config, []);

    /// <param name="badValues">Values the shape checker read outside their closed set; each is reported in its place.</param>
    public static IReadOnlyList<ConfigError> Validate(EdgeTwinConfig config, IReadOnlyList<ConfigError> badValues)
    {
        var check = new ConfigCheck(config.Assets, config.Mappings, badValues);
        GatewaySectionValidator.Gateway(config.Gateway, "$.gateway", check);
        QueueConfigValidator.Queue(config.Queue, "$.queue", check);
        ModelConfigValidator.Dedup(config.Dedup, "$.dedup", check);
        ModelConfigValidator.Validation(config.Validation, "$.validation", check);
        QueueConfigValidator.Quarantine(config.Quarantine, "$.quarantine", check);
        ModelConfigValidator.Assets(config.Assets, "$.assets", check);
        ModelConfigValidator.Mappings(config.Mappings, "$.mappings", check);

        SimulatorSourceConfigValidator.Validate(config.Sources.Simulator, "$.sources.simulator", check);
        SpoolSourceConfigValidator.Validate(config.Sources.Spool, "$.sources.spool", check);
        MqttSourceConfigValidator.Validate(config.Sources.Mqtt, "$.sources.mqtt", check);
        OpcUaSourceConfigValidator.Validate(config.Sources.OpcUa, "$.sources.opcua", check);

        FileSinkConfigValidator.Validate(config.Sinks.File, "$.sinks.file", check);
        KafkaSinkConfigValidator.Validate(config.Sinks.Kafka, "$.sinks.kafka", check);
        MqttSinkConfigValidator.Validate(config.Sinks.Mqtt, "$.sinks.mqtt", check);
        if (check.SinkCount == 0) check.Error("$.sinks", "no sink is configured: points would stay in the queue forever");

        GatewaySectionValidator.Api(config.Api, "$.api", check);
        return check.Errors;
    }
}

/// <summary>Validators of the sections the Gateway itself owns: $.gateway (with the log level) and $.api.</summary>
public static class GatewaySectionValidator
{
    private static readonly string[] LogLevels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    public static void Gateway(GatewayConfig gateway, string path, ConfigCheck check)
    {
        check.Name(path + ".id", gateway.Id);
        if (string.IsNullOrWhiteSpace(gateway.StateDirectory)) check.Error(path + ".stateDirectory", "must name a directory");
        check.Positive(path + ".shutdownTimeoutSeconds", gateway.ShutdownTimeoutSeconds);
        // Microsoft's level names, in any case as the logging library takes them.
        if (!LogLevels.Contains(gateway.LogLevel, StringComparer.OrdinalIgnoreCase))
        {
            check.Error(path + ".logLevel", $"'{gateway.LogLevel}' is not one of {string.Join(", ", LogLevels)}");
        }
    }

    public static void Api(ApiConfig api, string path, ConfigCheck check)
    {
        if (api.Port is < 0 or > 65535) check.Error(path + ".port", $"must be between 0 and 65535, got {api.Port}");
        var loopback = true;
        if (api.Address == "localhost") { }
        else if (System.Net.IPAddress.TryParse(api.Address, out var ip) && !api.Address.Contains('%', StringComparison.Ordinal)) loopback = System.Net.IPAddress.IsLoopback(ip);
        else check.Error(path + ".address", $"'{api.Address}' is not an IP address or 'localhost'");
        if (api.Token is { } token && (token.Length is < 16 or > 256 || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            check.Error(path + ".token", $"must be 16 to 256 characters, without spaces or control characters (got {token.Length} characters)");
        }
        if (api.Token is not null && api.TokenFile is not null) check.Error(path + ".tokenFile", "set either $.api.token or $.api.tokenFile, not both");
        if (api.TokenFile is { } file && string.IsNullOrWhiteSpace(file)) check.Error(path + ".tokenFile", "must name a file");
        if (api.Enabled && !loopback && api.Token is null && api.TokenFile is null)
        {
            check.Error(path + ".address", $"'{api.Address}' is not a loopback address: the API would be reachable from the network without a token. " +
                "Set $.api.token or $.api.tokenFile, or bind 127.0.0.1");
        }
    }
}
