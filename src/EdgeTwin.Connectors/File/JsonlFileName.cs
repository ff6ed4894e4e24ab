using System.Globalization;

namespace EdgeTwin.Connectors.File;

/// <summary>
/// The sink's file names: <c>edgetwin-{yyyyMMdd'T'HHmmss'Z'}-{seq:D6}.jsonl</c>. The time says when a file was
/// started, for people; the sequence number orders files for the sink, because a wall clock can step back.
/// </summary>
internal static class JsonlFileName
{
    public const string Prefix = "edgetwin-";
    public const string Extension = ".jsonl";
    public const string SearchPattern = Prefix + "*" + Extension;

    private const string StampFormat = "yyyyMMdd'T'HHmmss'Z'";
    private const int StampLength = 16;

    public static string Format(DateTimeOffset startedUtc, long sequence) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{Prefix}{startedUtc.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture)}-{sequence:D6}{Extension}");

    /// <summary>True when <paramref name="name"/> (a bare file name) is one of the sink's files; gives its sequence number.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out long sequence)
    {
        sequence = 0;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal) || !name.EndsWith(Extension, StringComparison.Ordinal)) return false;
        var middle = name[Prefix.Length..^Extension.Length];
        if (middle.Length < StampLength + 2 || middle[StampLength] != '-') return false;
        if (!DateTime.TryParseExact(middle[..StampLength], StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) return false;
        var digits = middle[(StampLength + 1)..];
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c)) return false;
        }
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>The sink's files in <paramref name="directory"/>, oldest (lowest sequence) first.</summary>
    public static List<(string Name, long Sequence)> List(string directory)
    {
        var files = new List<(string Name, long Sequence)>();
        foreach (var path in Directory.EnumerateFiles(directory, SearchPattern, SearchOption.TopDirectoryOnly))
        {
            var name = Path.GetFileName(path);
            if (TryParse(name, out var sequence)) files.Add((name, sequence));
        }
        files.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return files;
    }
}
