using System.Globalization;
using System.Text.Json;
using EdgeTwin.Connectors.Json;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.Spool;

/// <summary>
/// A drop folder: <c>*.jsonl</c> files of readings (one JSON object per line, the fields of
/// <see cref="JsonReadingFields"/>) taken in name order. A file moves to <c>done/</c> only after all its readings
/// are durable, and its progress is committed with them, so a crash neither loses nor repeats a line. A line that
/// is not valid JSON is quarantined with the file, line number and parser error.
/// </summary>
public sealed partial class SpoolSource : ISource
{
    private const int BatchSize = 1000;
    private readonly SpoolSourceConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private long _files;
    private long _lines;

    public SpoolSource(SpoolSourceConfig config, TimeProvider time, ILogger<SpoolSource> log)
    {
        _config = config;
        _time = time;
        _log = log;
        State = "starting";
    }

    public string Name => _config.Name;

    public string State { get; private set; }

    public bool IsIdle { get; private set; }

    private string CheckpointKey => "spool:" + _config.Name;

    public async Task RunAsync(IIngestWriter writer, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_config.Directory);
        var done = Path.Combine(_config.Directory, "done");
        Directory.CreateDirectory(done);
        var period = TimeSpan.FromSeconds(_config.PollIntervalSeconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            var files = Directory.GetFiles(_config.Directory, "*.jsonl");
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files)
            {
                await TakeFile(writer, file, done, cancellationToken).ConfigureAwait(false);
            }
            State = $"watching {_config.Directory} ({_files} files, {_lines} lines taken)";
            IsIdle = true;
            await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task TakeFile(IIngestWriter writer, string path, string done, CancellationToken ct)
    {
        var name = Path.GetFileName(path);
        var skip = 0L;
        if (writer.GetCheckpoint(CheckpointKey) is { } cp && cp.LastIndexOf(':') is var colon and > 0
            && cp[..colon] == name && long.TryParse(cp[(colon + 1)..], CultureInfo.InvariantCulture, out var n))
        {
            skip = n; // this file was partly (or wholly) committed before a restart
        }
        State = $"reading {name}";
        IsIdle = false;
        var pending = new List<Task<IngestResult>>();
        var batch = IngestBatch.Rent(Name, BatchSize);
        long lineNo = 0;
        using (var reader = new StreamReader(path))
        {
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                lineNo++;
                if (lineNo <= skip || string.IsNullOrWhiteSpace(line)) continue;
                batch.Add(Parse(line, name, lineNo, Name));
                if (batch.IsFull)
                {
                    batch.Checkpoint = new(CheckpointKey, $"{name}:{lineNo}");
                    pending.Add(batch.Durable);
                    await writer.WriteAsync(batch, ct).ConfigureAwait(false);
                    batch = IngestBatch.Rent(Name, BatchSize);
                }
            }
        }
        batch.Checkpoint = new(CheckpointKey, $"{name}:{lineNo}");
        pending.Add(batch.Durable);
        await writer.WriteAsync(batch, ct).ConfigureAwait(false);
        var results = await Task.WhenAll(pending).ConfigureAwait(false);
        // Every line is durable (as a point, a duplicate or in quarantine): only now may the file leave the inbox.
        System.IO.File.Move(path, Path.Combine(done, name), overwrite: true);
        // Forget the position: a later file of the same name is a new file and must be read from its start.
        var reset = IngestBatch.Of(Name);
        reset.Checkpoint = new(CheckpointKey, "");
        await writer.WriteAsync(reset, ct).ConfigureAwait(false);
        await reset.Durable.ConfigureAwait(false);
        _files++;
        _lines += lineNo;
        LogTaken(_log, name, DescribeTaken(lineNo - skip, results));
    }

    /// <summary>
    /// "2 line(s), 1 queued, 1 quarantined (1 clock_skew_past)": what became of the lines read in this pass
    /// (after a restart, those not taken before it), by outcome and quarantine reason.
    /// </summary>
    internal static string DescribeTaken(long lines, IReadOnlyList<IngestResult> results)
    {
        long queued = 0, duplicates = 0, quarantined = 0;
        var reasons = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in results)
        {
            queued += r.Accepted;
            duplicates += r.Duplicates;
            quarantined += r.Quarantined;
            if (r.QuarantinedByReason is null) continue;
            foreach (var (reason, count) in r.QuarantinedByReason)
            {
                var key = Core.Quarantine.QuarantineReasons.ToText(reason);
                reasons[key] = reasons.GetValueOrDefault(key) + count;
            }
        }
        var outcome = string.Create(CultureInfo.InvariantCulture, $"{lines} line(s), {queued} queued");
        if (duplicates > 0) outcome += string.Create(CultureInfo.InvariantCulture, $", {duplicates} duplicate(s) dropped");
        outcome += string.Create(CultureInfo.InvariantCulture, $", {quarantined} quarantined");
        if (reasons.Count > 0) outcome += " (" + string.Join(", ", reasons.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Value} {r.Key}"))) + ")";
        return outcome;
    }

    /// <summary>Parses one line; a line that cannot be parsed becomes a reading carrying the error, for quarantine.</summary>
    /// <remarks>
    /// A line without <c>source</c> is addressed as <c>spool:{sourceName}</c>, one stable address per source,
    /// so it does not become a new stream per line; the file and line go into quarantine details only.
    /// </remarks>
    public static Reading Parse(string line, string file, long lineNo, string sourceName)
    {
        var where = $"spool:{file}:{lineNo}";
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new Reading(where, 0, PointValue.None, Raw: line, Error: $"line is a JSON {root.ValueKind}, not an object");
            string? source = null, asset = null, metric = null;
            long ticks = 0;
            var value = PointValue.None;
            uint status = 0;
            Quality? quality = null;
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "source": source = p.Value.GetString(); break;
                    case "asset_id": asset = p.Value.GetString(); break;
                    case "metric": metric = p.Value.GetString(); break;
                    case "ts":
                        if (!JsonReadingFields.TryReadTimestamp(p.Value, EpochUnit.Auto, out ticks)) return new Reading(where, 0, PointValue.None, Raw: line, Error: $"\"ts\" {p.Value.GetRawText()} is neither ISO 8601 nor epoch seconds or milliseconds");
                        break;
                    case "value":
                        value = p.Value.ValueKind switch
                        {
                            JsonValueKind.Number => PointValue.FromNumber(p.Value.GetDouble()),
                            JsonValueKind.True => PointValue.FromBoolean(true),
                            JsonValueKind.False => PointValue.FromBoolean(false),
                            JsonValueKind.String => JsonReadingFields.FromText(p.Value.GetString()!),
                            _ => PointValue.None,
                        };
                        // An array (a matrix with "dimensions") or a structure, as wire schema 1.1 writes them.
                        if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                        {
                            if (!JsonReadingFields.TryReadExtended(p.Value, root.TryGetProperty("dimensions", out var dimensions) ? dimensions : default, out value, out var why))
                            {
                                return new Reading(where, 0, PointValue.None, Raw: line, Error: $"\"value\" {why}");
                            }
                        }
                        break;
                    case "quality":
                        if (!QualityCodes.TryParse(p.Value.GetString(), out var q)) return new Reading(where, 0, PointValue.None, Raw: line, Error: $"\"quality\" {p.Value.GetRawText()} is not good, uncertain or bad");
                        quality = q;
                        break;
                    case "status_code": status = p.Value.GetUInt32(); break;
                }
            }
            return new Reading(source ?? (asset is null && metric is null ? where : "spool:" + sourceName), ticks, value, status, quality, asset, metric, line);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return new Reading(where, 0, PointValue.None, Raw: line, Error: ex.Message);
        }
    }

    [LoggerMessage(1300, LogLevel.Information, "Spool file {File} taken: {Outcome}")]
    private static partial void LogTaken(ILogger logger, string file, string outcome);
}
