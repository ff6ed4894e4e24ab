namespace EdgeTwin.Core.Assets;

/// <summary>
/// An MQTT topic filter whose levels may name the asset and the metric: <c>plant/{asset}/{metric}</c>. The filter
/// sent to the broker replaces each placeholder with <c>+</c>; a received topic is matched level by level and the
/// placeholders' levels are read back. <c>+</c> and a final <c>#</c> keep their MQTT meaning (MQTT 5.0 §4.7,
/// 3.1.1 §4.7), and a shared subscription (<c>$share/{group}/…</c>, MQTT 5.0 §4.8.2) is matched without its prefix,
/// since the broker delivers the plain topic.
/// </summary>
public sealed class TopicTemplate
{
    private const string SharePrefix = "$share/";
    private readonly Level[] _levels;

    private TopicTemplate(string text, string filter, Level[] levels)
    {
        Text = text;
        Filter = filter;
        _levels = levels;
        HasAsset = levels.Any(l => l.Kind == LevelKind.Asset);
        HasMetric = levels.Any(l => l.Kind == LevelKind.Metric);
    }

    /// <summary>The template as configured.</summary>
    public string Text { get; }

    /// <summary>The MQTT topic filter to subscribe to.</summary>
    public string Filter { get; }

    public bool HasAsset { get; }

    public bool HasMetric { get; }

    private enum LevelKind : byte
    {
        Literal,
        SingleLevel,
        MultiLevel,
        Asset,
        Metric,
    }

    private readonly record struct Level(LevelKind Kind, string Text);

    /// <summary>Parses a template; on failure <paramref name="error"/> says what is wrong with it.</summary>
    public static bool TryParse(string? text, out TopicTemplate? template, out string? error)
    {
        template = null;
        if (string.IsNullOrEmpty(text)) return Fail("is empty", out error);
        if (text.Contains('\0', StringComparison.Ordinal)) return Fail("contains a NUL character", out error);
        var rest = text;
        var prefix = "";
        if (text.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            var slash = text.IndexOf('/', SharePrefix.Length);
            var group = slash < 0 ? "" : text[SharePrefix.Length..slash];
            if (group.Length == 0 || group.AsSpan().IndexOfAny("+#{}") >= 0)
            {
                return Fail("a shared subscription is $share/<group>/<filter>, with a group name free of '+', '#', '{' and '}'", out error);
            }
            prefix = text[..(slash + 1)];
            rest = text[(slash + 1)..];
            if (rest.Length == 0) return Fail("the shared subscription has no topic filter after its group", out error);
        }

        var parts = rest.Split('/');
        var levels = new Level[parts.Length];
        var filter = new string[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            switch (part)
            {
                case "+":
                    levels[i] = new Level(LevelKind.SingleLevel, part);
                    break;
                case "#":
                    if (i != parts.Length - 1) return Fail("'#' must be the last level", out error);
                    levels[i] = new Level(LevelKind.MultiLevel, part);
                    break;
                case "{asset}":
                case "{metric}":
                    var kind = part == "{asset}" ? LevelKind.Asset : LevelKind.Metric;
                    if (levels.Take(i).Any(l => l.Kind == kind)) return Fail($"{part} appears twice", out error);
                    levels[i] = new Level(kind, part);
                    filter[i] = "+";
                    continue;
                default:
                    if (part.Contains('+', StringComparison.Ordinal)) return Fail($"level '{part}': '+' must be a whole level", out error);
                    if (part.Contains('#', StringComparison.Ordinal)) return Fail($"level '{part}': '#' must be a whole level, and the last", out error);
                    if (part.AsSpan().IndexOfAny('{', '}') >= 0)
                    {
                        return Fail($"level '{part}': placeholders are whole levels, {{asset}} or {{metric}}", out error);
                    }
                    levels[i] = new Level(LevelKind.Literal, part);
                    break;
            }
            filter[i] = part;
        }
        template = new TopicTemplate(text, prefix + string.Join('/', filter), levels);
        error = null;
        return true;
    }

    /// <summary>
    /// True when <paramref name="topic"/> matches the filter; <paramref name="asset"/> and <paramref name="metric"/>
    /// are the levels under the placeholders (null where the template has none).
    /// </summary>
    public bool TryMatch(string topic, out string? asset, out string? metric)
    {
        asset = null;
        metric = null;
        var remaining = topic.AsSpan();
        var exhausted = false;
        for (var i = 0; i < _levels.Length; i++)
        {
            var level = _levels[i];
            if (level.Kind == LevelKind.MultiLevel)
            {
                // '#' also matches the parent level itself ("a/#" matches "a"), but not a '$' topic at the first level.
                return !(i == 0 && topic.StartsWith('$'));
            }
            if (exhausted) return false;
            var slash = remaining.IndexOf('/');
            var part = slash < 0 ? remaining : remaining[..slash];
            if (slash < 0) exhausted = true;
            else remaining = remaining[(slash + 1)..];
            switch (level.Kind)
            {
                case LevelKind.Literal:
                    if (!part.SequenceEqual(level.Text)) return false;
                    break;
                default:
                    // Wildcards never match a first level that starts with '$' (MQTT 5.0 §4.7.2).
                    if (i == 0 && part.StartsWith("$")) return false;
                    if (level.Kind == LevelKind.Asset) asset = part.ToString();
                    else if (level.Kind == LevelKind.Metric) metric = part.ToString();
                    break;
            }
        }
        return exhausted;
    }

    public override string ToString() => Text;

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
