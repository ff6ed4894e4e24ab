using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Spool;

// $.sources.spool[]: a drop folder of JSONL readings. config/edgetwin.json documents each key.

public sealed class SpoolSourceConfig
{
    public string Name { get; set; } = "spool";

    /// <summary>Folder watched for <c>*.jsonl</c> files of readings; a file moves to <c>done/</c> once durable.</summary>
    public string Directory { get; set; } = "";

    public double PollIntervalSeconds { get; set; } = 1;
}

/// <summary>Validates $.sources.spool[].</summary>
public static class SpoolSourceConfigValidator
{
    public static void Validate(IReadOnlyList<SpoolSourceConfig?> sources, string path, ConfigCheck check) =>
        check.Each(sources, path, (s, at) =>
        {
            check.SourceName(at + ".name", s.Name);
            if (string.IsNullOrWhiteSpace(s.Directory)) check.Error(at + ".directory", "must name a directory");
            check.Positive(at + ".pollIntervalSeconds", s.PollIntervalSeconds);
        });
}
