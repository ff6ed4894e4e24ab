namespace EdgeTwin.Core.Config;

/// <summary>Validators of the sections Core owns: the asset registry, the mappings, dedup, clock skew, sink drain.</summary>
public static class ModelConfigValidator
{
    public static void Dedup(DedupConfig dedup, string path, ConfigCheck check)
    {
        if (dedup.HistoryPerSeries is < 1 or > 65536) check.Error(path + ".historyPerSeries", $"must be between 1 and 65536, got {dedup.HistoryPerSeries}");
        if (dedup.MemoryBytes < 1L << 20) check.Error(path + ".memoryBytes", $"must be at least 1048576 (1 MiB), got {dedup.MemoryBytes}");
        if (dedup.RecentPoints is < 0 or > 10_000_000) check.Error(path + ".recentPoints", $"must be between 0 and 10000000, got {dedup.RecentPoints}");
    }

    public static void Validation(ValidationConfig validation, string path, ConfigCheck check)
    {
        check.Positive(path + ".maxPastSkewSeconds", validation.MaxPastSkewSeconds);
        check.Positive(path + ".maxFutureSkewSeconds", validation.MaxFutureSkewSeconds);
    }

    /// <summary>$.assets: unique ids, parents that exist, no parent cycles.</summary>
    public static void Assets(IReadOnlyList<AssetConfig?> assets, string path, ConfigCheck check)
    {
        for (var i = 0; i < assets.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (assets[i] is not { } asset) { check.Error(at, "is null"); continue; }
            check.Name(at + ".id", asset.Id);
            if (!string.IsNullOrEmpty(asset.Id) && check.Assets[asset.Id] != i) check.Error(at + ".id", $"'{asset.Id}' is already defined at {path}[{check.Assets[asset.Id]}]");
        }
        for (var i = 0; i < assets.Count; i++)
        {
            var asset = assets[i];
            if (asset?.Parent is null) continue;
            if (!check.Assets.ContainsKey(asset.Parent)) { check.Error($"{path}[{i}].parent", $"'{asset.Parent}' is not an asset in $.assets"); continue; }
            var seen = new HashSet<string>(StringComparer.Ordinal) { asset.Id };
            for (var p = asset.Parent; p is not null; p = check.Assets.TryGetValue(p, out var pi) ? assets[pi]!.Parent : null)
            {
                if (!seen.Add(p)) { check.Error($"{path}[{i}].parent", $"the parent chain of '{asset.Id}' runs into a cycle at '{p}'"); break; }
            }
        }
    }

    /// <summary>$.mappings: one mapping per source address, to a known asset, with a usable metric and scaling.</summary>
    public static void Mappings(IReadOnlyList<MappingConfig?> mappings, string path, ConfigCheck check)
    {
        // Per series, the first mapping that writes it and the model (name and version) it writes as.
        var series = new Dictionary<(string Asset, string Metric), (int Index, string? Model, string? Version)>();
        for (var i = 0; i < mappings.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (mappings[i] is not { } m) { check.Error(at, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(m.Source)) check.Error(at + ".source", "must name a source address");
            else if (check.Mappings[m.Source] != i) check.Error(at + ".source", $"'{m.Source}' is already mapped at {path}[{check.Mappings[m.Source]}]");
            if (string.IsNullOrEmpty(m.Asset)) check.Error(at + ".asset", "must name an asset");
            else check.KnownAsset(at + ".asset", m.Asset);
            check.Name(at + ".metric", m.Metric);
            if (!double.IsFinite(m.Scale) || m.Scale == 0) check.Error(at + ".scale", $"must be a finite, non-zero number (got {m.Scale})");
            if (!double.IsFinite(m.Offset)) check.Error(at + ".offset", $"must be finite (got {m.Offset})");
            // Element and value nullability is not enforced by the binder; a null tag would reach the wire as null.
            foreach (var tag in m.Tags ?? [])
            {
                if (tag.Value is null) check.Error($"{at}.tags.{tag.Key}", "must be a string, not null");
            }
            ModelOutput(m, at, i, path, series, check);
        }
    }

    /// <summary>
    /// A mapping's model and version: printable text, a version only with a model. The gateway keys a series by asset
    /// and metric alone, so two versions (or a model and a measurement) on one series would deduplicate each other:
    /// that is refused, with the advice to give each its own metric.
    /// </summary>
    private static void ModelOutput(MappingConfig m, string at, int i, string path,
        Dictionary<(string Asset, string Metric), (int Index, string? Model, string? Version)> series, ConfigCheck check)
    {
        if (m.Model is not null && (m.Model.Length == 0 || m.Model.Any(char.IsControl)))
            check.Error(at + ".model", $"'{m.Model.Replace("\0", "\\u0000", StringComparison.Ordinal)}' must be a non-empty name without control characters");
        if (m.ModelVersion is not null)
        {
            if (m.Model is null) check.Error(at + ".modelVersion", "is the version of a model: name the model in \"model\" too");
            else if (m.ModelVersion.Length == 0 || m.ModelVersion.Any(char.IsControl))
                check.Error(at + ".modelVersion", $"'{m.ModelVersion.Replace("\0", "\\u0000", StringComparison.Ordinal)}' must be a non-empty version without control characters");
        }
        if (string.IsNullOrEmpty(m.Asset) || string.IsNullOrEmpty(m.Metric)) return;
        var key = (m.Asset, m.Metric);
        if (!series.TryGetValue(key, out var first))
        {
            series[key] = (i, m.Model, m.ModelVersion);
            return;
        }
        if (first.Model == m.Model && first.Version == m.ModelVersion) return; // redundant sources of one series: dedup keeps one
        check.Error(at + ".metric", $"'{m.Asset}/{m.Metric}' is written by {path}[{first.Index}] as {Describe(first.Model, first.Version)} and here as "
            + $"{Describe(m.Model, m.ModelVersion)}; the gateway keys a series by asset and metric, so they would drop each other's points as duplicates: give each its own metric");

        static string Describe(string? model, string? version) =>
            model is null ? "a measurement" : version is null ? $"model '{model}'" : $"model '{model}' version '{version}'";
    }

    /// <summary>A sink's <c>drain</c> object (live-first lane and drain-rate limit).</summary>
    public static void Drain(SinkDrainConfig? drain, string path, ConfigCheck check)
    {
        if (drain is null) { check.Error(path, "is null"); return; }
        if (!(drain.BacklogSeconds >= 0.1 && drain.BacklogSeconds <= 86400)) check.Error(path + ".backlogSeconds", $"must be between 0.1 and 86400, got {drain.BacklogSeconds}");
        if (!(drain.MaxPointsPerSecond >= 0 && double.IsFinite(drain.MaxPointsPerSecond))) check.Error(path + ".maxPointsPerSecond", $"must be 0 (no limit) or a positive number, got {drain.MaxPointsPerSecond}");
    }
}
