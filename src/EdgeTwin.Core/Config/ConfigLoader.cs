using System.Text.Json;

namespace EdgeTwin.Core.Config;

/// <summary>Reads, binds and validates a configuration, reporting every error with its JSON path.</summary>
public static class ConfigLoader
{
    public const string EmbeddedDemoName = "(embedded demo)";

    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// Loads a config file. Relative paths inside it are resolved against the working directory, as for the
    /// embedded demo and every path the gateway opens itself (TLS files), so one file means the same paths for
    /// run, check-config and doctor, wherever it lies.
    /// </summary>
    public static EdgeTwinConfig LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, [new ConfigError("$", $"cannot read the file: {ex.Message}")]);
        }
        return Load(text, path, Directory.GetCurrentDirectory());
    }

    /// <summary>Binds and validates <paramref name="json"/>; throws <see cref="ConfigException"/> listing every error.</summary>
    public static EdgeTwinConfig Load(string json, string sourceName, string baseDirectory)
    {
        EdgeTwinConfig? config;
        try
        {
            // Every wrong type and unknown key in one run; the binder below would stop at the first.
            var shape = ConfigShapeChecker.Check(json, ConfigJsonContext.Default.EdgeTwinConfig, ReaderOptions);
            if (shape.Count > 0) throw new ConfigException(sourceName, shape);
            config = JsonSerializer.Deserialize(json, ConfigJsonContext.Default.EdgeTwinConfig);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, column {ex.BytePositionInLine + 1})" : "";
            var message = ex.Message;
            foreach (var marker in (ReadOnlySpan<string>)[" Path:", " LineNumber:"])
            {
                var cut = message.IndexOf(marker, StringComparison.Ordinal);
                if (cut > 0) message = message[..cut];
            }
            throw new ConfigException(sourceName, [new ConfigError(ex.Path ?? "$", message + where)]);
        }
        if (config is null)
        {
            throw new ConfigException(sourceName, [new ConfigError("$", "the file holds null, not a configuration object")]);
        }
        var errors = ConfigValidator.Validate(config);
        if (errors.Count > 0) throw new ConfigException(sourceName, errors);
        ResolvePaths(config, baseDirectory);
        return config;
    }

    private static void ResolvePaths(EdgeTwinConfig config, string baseDirectory)
    {
        config.Gateway.StateDirectory = Path.GetFullPath(config.Gateway.StateDirectory, baseDirectory);
        foreach (var sink in config.Sinks.File) sink.Directory = Path.GetFullPath(sink.Directory, baseDirectory);
        foreach (var spool in config.Sources.Spool) spool.Directory = Path.GetFullPath(spool.Directory, baseDirectory);
        if (config.Api.TokenFile is { } tokenFile) config.Api.TokenFile = Path.GetFullPath(tokenFile, baseDirectory);
        foreach (var mqtt in config.Sources.Mqtt)
        {
            if (mqtt.PasswordFile is not null) mqtt.PasswordFile = Path.GetFullPath(mqtt.PasswordFile, baseDirectory);
            var tls = mqtt.Tls;
            if (tls.CaFile is not null) tls.CaFile = Path.GetFullPath(tls.CaFile, baseDirectory);
            if (tls.ClientCertFile is not null) tls.ClientCertFile = Path.GetFullPath(tls.ClientCertFile, baseDirectory);
            if (tls.ClientKeyFile is not null) tls.ClientKeyFile = Path.GetFullPath(tls.ClientKeyFile, baseDirectory);
        }
    }

    /// <summary>A stable hash of the effective configuration, shown on the status page and in logs.</summary>
    public static string Hash(EdgeTwinConfig config)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config, ConfigJsonContext.Default.EdgeTwinConfig);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..12];
    }
}
