using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeTwin.Core.Config;

/// <summary>
/// The loader mechanics every configuration file shares: JSON with comments and trailing commas, every wrong type
/// and unknown key in one run with its line and column, then binding through source-generated metadata and
/// validation; throws <see cref="ConfigException"/> listing every error.
/// </summary>
public static class ConfigDocument
{
    public static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The text of a configuration file, or a <see cref="ConfigException"/> saying why it cannot be read.</summary>
    public static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, [new ConfigError("$", $"cannot read the file: {ex.Message}")]);
        }
    }

    /// <summary>
    /// Binds <paramref name="json"/> and validates it: <paramref name="validate"/> gets the bound document and the
    /// values the shape checker found outside their closed set, to report them among its own errors.
    /// </summary>
    public static T Load<T>(string json, string sourceName, JsonTypeInfo<T> typeInfo, Func<T, IReadOnlyList<ConfigError>, IReadOnlyList<ConfigError>> validate)
        where T : class
    {
        T? document;
        var shape = new ConfigShapeReport([], []);
        try
        {
            // Every wrong type and unknown key in one run; the binder below would stop at the first.
            shape = ConfigShapeChecker.Inspect(json, typeInfo, ReaderOptions);
            if (!shape.Bindable) throw new ConfigException(sourceName, shape.Errors);
            document = JsonSerializer.Deserialize(json, typeInfo);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, column {ex.BytePositionInLine + 1})" : "";
            var message = ex.Message;
            foreach (var marker in (ReadOnlySpan<string>)[" Path:", " LineNumber:"])
            {
                var cut = message.IndexOf(marker, StringComparison.Ordinal);
                if (cut > 0) message = message[..cut];
            }
            throw new ConfigException(sourceName, [new ConfigError(ex.Path ?? "$", message + where)]);
        }
        if (document is null)
        {
            throw new ConfigException(sourceName, [new ConfigError("$", "the file holds null, not a configuration object")]);
        }
        var errors = validate(document, shape.BadValues);
        if (errors.Count > 0) throw new ConfigException(sourceName, errors);
        return document;
    }
}
