namespace EdgeTwin.Core.Config;

/// <summary>Validators of the sections Core owns: the asset registry, the mappings, dedup, clock skew, sink drain.</summary>
public static class ModelConfigValidator
{
    public static void Dedup(DedupConfig dedup, string path, ConfigCheck check)
    {
        if (dedup.HistoryPerSeries is < 1 or > 65536) check.Error(path + ".historyPerSeries", $"must be between 1 and 65536, got {dedup.HistoryPerSeries}");
        if (dedup.MemoryBytes < 1L << 20) check.Error(path + ".memoryBytes", $"must be at least 1048576 (1 MiB), got {dedup.MemoryBytes}");
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
        }
    }

    /// <summary>A sink's <c>drain</c> object (live-first lane and drain-rate limit).</summary>
    public static void Drain(SinkDrainConfig? drain, string path, ConfigCheck check)
    {
        if (drain is null) { check.Error(path, "is null"); return; }
        if (!(drain.BacklogSeconds >= 0.1 && drain.BacklogSeconds <= 86400)) check.Error(path + ".backlogSeconds", $"must be between 0.1 and 86400, got {drain.BacklogSeconds}");
        if (!(drain.MaxPointsPerSecond >= 0 && double.IsFinite(drain.MaxPointsPerSecond))) check.Error(path + ".maxPointsPerSecond", $"must be 0 (no limit) or a positive number, got {drain.MaxPointsPerSecond}");
    }
}
