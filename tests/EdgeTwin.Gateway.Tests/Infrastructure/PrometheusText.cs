using System.Globalization;
using System.Text;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>One sample: metric name, labels, value.</summary>
public sealed record PromSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"{Name} has no label {name}");
}

/// <summary>A metric family: its name, TYPE, HELP and samples.</summary>
public sealed class PromFamily
{
    public required string Name { get; init; }
    public string Type { get; set; } = "untyped";
    public string? Help { get; set; }
    public bool Typed { get; set; }
    public List<PromSample> Samples { get; } = [];
}

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4: HELP/TYPE lines, sample lines with escaped
/// label values, float values (NaN, ±Inf), optional timestamps. It rejects what Prometheus would reject or
/// mis-read: a malformed line, an unknown escape, a duplicate label or series, a TYPE after its samples or
/// given twice, a family's samples split by another family, and histograms whose buckets are not cumulative,
/// lack +Inf, or disagree with _count.
/// </summary>
public static class PrometheusText
{
    public static Dictionary<string, PromFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition must end with a line feed");
        var families = new Dictionary<string, PromFamily>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            var where = $"line {i + 1}";
            if (line.Length == 0) continue;
            if (line[0] == '#')
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[0] == "#" && parts[1] is "HELP" or "TYPE")
                {
                    var name = parts[2];
                    CheckMetricName(name, where);
                    var family = Enter(name, families, finished, ref current, where);
                    if (parts[1] == "HELP")
                    {
                        if (family.Help is not null) throw new FormatException($"{where}: second HELP for {name}");
                        family.Help = Unescape(parts.Length == 4 ? parts[3] : "", inLabel: false, where);
                    }
                    else
                    {
                        if (parts.Length != 4 || parts[3] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped")) throw new FormatException($"{where}: bad TYPE line: {line}");
                        if (family.Samples.Count > 0) throw new FormatException($"{where}: TYPE for {name} after its samples");
                        if (family.Typed) throw new FormatException($"{where}: second TYPE for {name}");
                        family.Typed = true;
                        family.Type = parts[3];
                    }
                }
                continue; // any other comment
            }
            var sample = ParseSample(line, where);
            var familyName = FamilyOf(sample.Name, families);
            var f = Enter(familyName, families, finished, ref current, where);
            CheckSuffix(f, sample.Name, where);
            var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
            if (!series.Add(key)) throw new FormatException($"{where}: duplicate series {key}");
            f.Samples.Add(sample);
        }
        foreach (var f in families.Values) if (f.Type == "histogram") CheckHistogram(f);
        return families;
    }

    private static PromFamily Enter(string name, Dictionary<string, PromFamily> families, HashSet<string> finished, ref string? current, string where)
    {
        if (current != name)
        {
            if (finished.Contains(name)) throw new FormatException($"{where}: lines of {name} are not contiguous");
            if (current is not null) finished.Add(current);
            current = name;
        }
        if (!families.TryGetValue(name, out var f)) families[name] = f = new PromFamily { Name = name };
        return f;
    }

    private static string FamilyOf(string sampleName, Dictionary<string, PromFamily> families)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal))
            {
                var baseName = sampleName[..^suffix.Length];
                if (families.TryGetValue(baseName, out var f) && f.Type is "histogram" or "summary") return baseName;
            }
        }
        return sampleName;
    }

    private static void CheckSuffix(PromFamily f, string sampleName, string where)
    {
        var ok = f.Type switch
        {
            "histogram" => sampleName == f.Name + "_bucket" || sampleName == f.Name + "_sum" || sampleName == f.Name + "_count",
            "summary" => sampleName == f.Name || sampleName == f.Name + "_sum" || sampleName == f.Name + "_count",
            _ => sampleName == f.Name,
        };
        if (!ok) throw new FormatException($"{where}: sample {sampleName} does not belong to {f.Type} {f.Name}");
    }

    private static void CheckHistogram(PromFamily f)
    {
        foreach (var group in f.Samples.GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))))
        {
            var buckets = group.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToList();
            if (buckets.Count == 0) throw new FormatException($"histogram {f.Name}{{{group.Key}}} has no buckets");
            double lastLe = double.NegativeInfinity, lastCount = 0;
            foreach (var b in buckets)
            {
                if (!b.Labels.TryGetValue("le", out var leText)) throw new FormatException($"histogram {f.Name}: a bucket without le");
                var le = ParseFloat(leText, $"{f.Name} le");
                if (!(le > lastLe)) throw new FormatException($"histogram {f.Name}: le {leText} not above the previous bucket");
                if (b.Value < lastCount) throw new FormatException($"histogram {f.Name}: bucket le={leText} holds {b.Value}, less than the bucket before ({lastCount}): not cumulative");
                lastLe = le;
                lastCount = b.Value;
            }
            if (!double.IsPositiveInfinity(lastLe)) throw new FormatException($"histogram {f.Name}{{{group.Key}}} has no +Inf bucket");
            var count = group.SingleOrDefault(s => s.Name == f.Name + "_count") ?? throw new FormatException($"histogram {f.Name}{{{group.Key}}} has no _count");
            _ = group.SingleOrDefault(s => s.Name == f.Name + "_sum") ?? throw new FormatException($"histogram {f.Name}{{{group.Key}}} has no _sum");
            if (count.Value != lastCount) throw new FormatException($"histogram {f.Name}: _count {count.Value} differs from the +Inf bucket {lastCount}");
        }
    }

    private static PromSample ParseSample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0, colon: true)) i++;
        var name = line[..i];
        CheckMetricName(name, where);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i < line.Length && line[i] == '}') { i++; break; }
                var start = i;
                while (i < line.Length && IsNameChar(line[i], i == start, colon: false)) i++;
                var labelName = line[start..i];
                if (labelName.Length == 0) throw new FormatException($"{where}: bad label name at column {i + 1}: {line}");
                if (i >= line.Length || line[i] != '=') throw new FormatException($"{where}: '=' expected at column {i + 1}: {line}");
                i++;
                if (i >= line.Length || line[i] != '"') throw new FormatException($"{where}: '\"' expected at column {i + 1}: {line}");
                i++;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) throw new FormatException($"{where}: unterminated label value: {line}");
                    var c = line[i++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (i >= line.Length) throw new FormatException($"{where}: dangling escape: {line}");
                        var e = line[i++];
                        value.Append(e switch { '\\' => '\\', '"' => '"', 'n' => '\n', _ => throw new FormatException($"{where}: unknown escape \\{e} in a label value: {line}") });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }
                if (!labels.TryAdd(labelName, value.ToString())) throw new FormatException($"{where}: duplicate label {labelName}: {line}");
                if (i < line.Length && line[i] == ',') { i++; if (i < line.Length && line[i] == '}') throw new FormatException($"{where}: trailing comma in labels: {line}"); continue; }
                if (i < line.Length && line[i] == '}') { i++; break; }
                throw new FormatException($"{where}: ',' or '}}' expected at column {i + 1}: {line}");
            }
        }
        if (i >= line.Length || line[i] != ' ') throw new FormatException($"{where}: a space and a value expected after {name}: {line}");
        var rest = line[(i + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2 || rest[0].Length == 0) throw new FormatException($"{where}: 'value [timestamp]' expected: {line}");
        var v = ParseFloat(rest[0], where);
        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) throw new FormatException($"{where}: bad timestamp {rest[1]}");
        return new PromSample(name, labels, v);
    }

    private static double ParseFloat(string text, string where) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !text.Contains(',', StringComparison.Ordinal)
            ? v : throw new FormatException($"{where}: '{text}' is not a float"),
    };

    private static bool IsNameChar(char c, bool first, bool colon) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (colon && c == ':') || (!first && c is >= '0' and <= '9');

    private static void CheckMetricName(string name, string where)
    {
        if (name.Length == 0 || !name.Select((c, i) => IsNameChar(c, i == 0, colon: true)).All(ok => ok)) throw new FormatException($"{where}: bad metric name '{name}'");
    }

    private static string Unescape(string text, bool inLabel, string where)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\') { sb.Append(text[i]); continue; }
            if (++i >= text.Length) throw new FormatException($"{where}: dangling escape in HELP");
            sb.Append(text[i] switch { '\\' => '\\', 'n' => '\n', '"' when inLabel => '"', _ => throw new FormatException($"{where}: unknown escape \\{text[i]} in HELP") });
        }
        return sb.ToString();
    }
}
