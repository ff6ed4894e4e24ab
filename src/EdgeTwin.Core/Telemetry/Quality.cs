namespace EdgeTwin.Core.Telemetry;

/// <summary>The quality of a reading, as carried on the wire ("good", "uncertain", "bad").</summary>
public enum Quality : byte
{
    Good = 0,
    Uncertain = 1,
    Bad = 2,
}

/// <summary>Maps raw status codes to <see cref="Quality"/> and back to wire text.</summary>
public static class QualityCodes
{
    /// <summary>
    /// OPC UA StatusCode severity lives in the two top bits (OPC 10000-4 §7.39):
    /// 00 good, 01 uncertain, 10 bad (11 is reserved and treated as bad).
    /// </summary>
    public static Quality FromStatusCode(uint statusCode) => (statusCode >> 30) switch
    {
        0 => Quality.Good,
        1 => Quality.Uncertain,
        _ => Quality.Bad,
    };

    public static string ToWire(Quality quality) => quality switch
    {
        Quality.Good => "good",
        Quality.Uncertain => "uncertain",
        _ => "bad",
    };

    public static bool TryParse(ReadOnlySpan<char> text, out Quality quality)
    {
        if (text.Equals("good", StringComparison.OrdinalIgnoreCase)) { quality = Quality.Good; return true; }
        if (text.Equals("uncertain", StringComparison.OrdinalIgnoreCase)) { quality = Quality.Uncertain; return true; }
        if (text.Equals("bad", StringComparison.OrdinalIgnoreCase)) { quality = Quality.Bad; return true; }
        quality = Quality.Bad;
        return false;
    }
}
