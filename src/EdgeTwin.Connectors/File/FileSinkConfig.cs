using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.File;

// $.sinks.file[]: JSONL files on local disk. config/edgetwin.json documents each key.

public sealed class FileSinkConfig
{
    public string Name { get; set; } = "file";

    public string Directory { get; set; } = "";

    /// <summary>A file is rotated once it reaches this size.</summary>
    public long MaxFileBytes { get; set; } = 64L << 20;

    /// <summary>Rotated files kept; the oldest beyond this are deleted (0 = keep all).</summary>
    public int MaxFiles { get; set; } = 50;

    /// <summary>Most points written (and fsync'd) per confirmation.</summary>
    public int MaxBatchPoints { get; set; } = 16384;
}

/// <summary>Validates $.sinks.file[]: two sinks must not share a directory, or they would overwrite each other's position.</summary>
public static class FileSinkConfigValidator
{
    public static void Validate(IReadOnlyList<FileSinkConfig?> sinks, string path, ConfigCheck check)
    {
        var directories = new Dictionary<string, int>(StringComparer.Ordinal);
        check.Each(sinks, path, (s, at, i) =>
        {
            check.SinkName(at + ".name", s.Name);
            if (string.IsNullOrWhiteSpace(s.Directory)) check.Error(at + ".directory", "must name a directory");
            else if (!directories.TryAdd(s.Directory, i)) check.Error(at + ".directory", $"'{s.Directory}' is also the directory of {path}[{directories[s.Directory]}]: two sinks would overwrite each other's position");
            if (s.MaxFileBytes < 4096) check.Error(at + ".maxFileBytes", $"must be at least 4096, got {s.MaxFileBytes}");
            if (s.MaxFiles < 0) check.Error(at + ".maxFiles", "must not be negative");
            if (s.MaxBatchPoints < 1) check.Error(at + ".maxBatchPoints", "must be at least 1");
        });
    }
}
