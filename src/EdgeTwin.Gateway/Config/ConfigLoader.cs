using System.Text.Json;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Gateway.Config;

/// <summary>Reads, binds and validates the gateway's configuration, reporting every error with its JSON path.</summary>
public static class ConfigLoader
{
    public const string EmbeddedDemoName = "(embedded demo)";

    /// <summary>
    /// Loads a config file. Relative paths inside it are resolved against the working directory, as for the
    /// embedded demo and every path the gateway opens itself (TLS files), so one file means the same paths for
    /// run, check-config and doctor, wherever it lies.
    /// </summary>
    public static EdgeTwinConfig LoadFile(string path)
    {
        var text = ConfigDocument.ReadFile(path);
        return Load(text, path, Directory.GetCurrentDirectory());
    }

    /// <summary>Binds and validates <paramref name="json"/>; throws <see cref="ConfigException"/> listing every error.</summary>
    public static EdgeTwinConfig Load(string json, string sourceName, string baseDirectory)
    {
        var config = ConfigDocument.Load(json, sourceName, ConfigJsonContext.Default.EdgeTwinConfig, ConfigValidator.Validate);
        ResolvePaths(config, baseDirectory);
        return config;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<EdgeTwinConfig, IReadOnlyList<RelativeConfigPath>> Relative = new();

    /// <summary>
    /// The paths the configuration gave as relative, with what they resolved to. They depend on the working
    /// directory of whoever starts the gateway (a systemd service runs in /), so doctor and check-config name them.
    /// </summary>
    public static IReadOnlyList<RelativeConfigPath> RelativePathsOf(EdgeTwinConfig config) =>
        Relative.TryGetValue(config, out var list) ? list : [];

    private static void ResolvePaths(EdgeTwinConfig config, string baseDirectory)
    {
        var relative = new List<RelativeConfigPath>();
        string Resolve(string jsonPath, string value)
        {
            var full = Path.GetFullPath(value, baseDirectory);
            if (!Path.IsPathRooted(value)) relative.Add(new RelativeConfigPath(jsonPath, value, full));
            return full;
        }
        string? ResolveOptional(string jsonPath, string? value) => value is null ? null : Resolve(jsonPath, value);

        config.Gateway.StateDirectory = Resolve("$.gateway.stateDirectory", config.Gateway.StateDirectory);
        for (var i = 0; i < config.Sinks.File.Count; i++)
        {
            config.Sinks.File[i].Directory = Resolve($"$.sinks.file[{i}].directory", config.Sinks.File[i].Directory);
        }
        for (var i = 0; i < config.Sources.Spool.Count; i++)
        {
            config.Sources.Spool[i].Directory = Resolve($"$.sources.spool[{i}].directory", config.Sources.Spool[i].Directory);
        }
        config.Api.TokenFile = ResolveOptional("$.api.tokenFile", config.Api.TokenFile);
        for (var i = 0; i < config.Sources.Mqtt.Count; i++)
        {
            var mqtt = config.Sources.Mqtt[i];
            var path = $"$.sources.mqtt[{i}]";
            mqtt.PasswordFile = ResolveOptional(path + ".passwordFile", mqtt.PasswordFile);
            var tls = mqtt.Tls;
            tls.CaFile = ResolveOptional(path + ".tls.caFile", tls.CaFile);
            tls.ClientCertFile = ResolveOptional(path + ".tls.clientCertFile", tls.ClientCertFile);
            tls.ClientKeyFile = ResolveOptional(path + ".tls.clientKeyFile", tls.ClientKeyFile);
        }
        Relative.AddOrUpdate(config, relative);
    }

    /// <summary>A stable hash of the effective configuration, shown on the status page and in logs.</summary>
    public static string Hash(EdgeTwinConfig config)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config, ConfigJsonContext.Default.EdgeTwinConfig);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..12];
    }
}
