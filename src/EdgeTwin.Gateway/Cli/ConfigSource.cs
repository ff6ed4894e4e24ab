using EdgeTwin.Gateway.Config;

namespace EdgeTwin.Gateway.Cli;

/// <summary>Finds the configuration a verb works on: --config, $EDGETWIN_CONFIG, /etc/edgetwin/edgetwin.json, or the embedded demo.</summary>
public static class ConfigSource
{
    public const string SystemConfigPath = "/etc/edgetwin/edgetwin.json";

    public static (EdgeTwinConfig Config, string Source) Resolve(string? path)
    {
        path ??= Environment.GetEnvironmentVariable("EDGETWIN_CONFIG");
        if (string.IsNullOrEmpty(path) && File.Exists(SystemConfigPath)) path = SystemConfigPath;
        if (!string.IsNullOrEmpty(path)) return (ConfigLoader.LoadFile(path), Path.GetFullPath(path));
        return (LoadDemo(), ConfigLoader.EmbeddedDemoName);
    }

    /// <summary>The embedded demo (config/demo.json): simulator → dedup → queue → JSONL sink, state under ./edgetwin-demo.</summary>
    public static EdgeTwinConfig LoadDemo()
    {
        using var stream = typeof(ConfigSource).Assembly.GetManifestResourceStream("demo.json")
            ?? throw new InvalidOperationException("the embedded demo configuration is missing from this build");
        using var reader = new StreamReader(stream);
        return ConfigLoader.Load(reader.ReadToEnd(), ConfigLoader.EmbeddedDemoName, Directory.GetCurrentDirectory());
    }
}
