using System.Globalization;
using System.Text.Json;

namespace EdgeTwin.Core.Assets;

/// <summary>
/// Where a field sits in a JSON payload: property names joined by dots, array elements by index, optionally
/// rooted at <c>$</c> — <c>value</c>, <c>$.data.value</c>, <c>readings[0].v</c>; <c>$</c> alone is the whole
/// payload. Names are matched exactly (case-sensitive) and cannot contain '.', '[' or ']'.
/// </summary>
public sealed class JsonFieldPath
{
    private readonly Step[] _steps;

    private JsonFieldPath(string text, Step[] steps)
    {
        Text = text;
        _steps = steps;
    }

    public string Text { get; }

    private readonly record struct Step(string? Name, int Index);

    public static bool TryParse(string? text, out JsonFieldPath? path, out string? error)
    {
        path = null;
        if (string.IsNullOrEmpty(text)) return Fail("is empty", out error);
        var steps = new List<Step>();
        var i = 0;
        if (text[0] == '$')
        {
            i = 1;
        }
        else
        {
            // A path without '$' starts with a name, as if it were "$." + text.
            if (!TryName(text, ref i, steps, out error)) return false;
        }
        while (i < text.Length)
        {
            switch (text[i])
            {
                case '.':
                    i++;
                    if (!TryName(text, ref i, steps, out error)) return false;
                    break;
                case '[':
                    var close = text.IndexOf(']', i);
                    if (close < 0) return Fail($"'[' at {i} is not closed", out error);
                    var digits = text.AsSpan(i + 1, close - i - 1);
                    if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9')
                        || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        return Fail($"'[{digits}]' at {i} is not an array index", out error);
                    }
                    steps.Add(new Step(null, index));
                    i = close + 1;
                    break;
                default:
                    return Fail($"'{text[i]}' at {i}: expected '.' or '['", out error);
            }
        }
        path = new JsonFieldPath(text, [.. steps]);
        error = null;
        return true;
    }

    /// <summary>Finds the field under <paramref name="root"/>; false when some step is missing or of another kind.</summary>
    public bool TryFind(JsonElement root, out JsonElement value)
    {
        value = root;
        foreach (var step in _steps)
        {
            if (step.Name is { } name)
            {
                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value)) return false;
            }
            else if (value.ValueKind != JsonValueKind.Array || step.Index >= value.GetArrayLength())
            {
                return false;
            }
            else
            {
                value = value[step.Index];
            }
        }
        return true;
    }

    public override string ToString() => Text;

    private static bool TryName(string text, ref int i, List<Step> steps, out string? error)
    {
        var start = i;
        while (i < text.Length && text[i] is not ('.' or '[' or ']')) i++;
        if (i == start) return Fail($"empty name at {start}", out error);
        steps.Add(new Step(text[start..i], 0));
        error = null;
        return true;
    }

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
