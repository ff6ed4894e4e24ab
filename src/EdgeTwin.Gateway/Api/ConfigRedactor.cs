using System.Text.Json.Nodes;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// Removes secrets from the effective configuration before /api/config shows it: the value of any property whose
/// name says it holds a password, token, secret, credential, key, cookie or connection string (at any depth,
/// passthrough properties included) and the password in URLs. Names of files and paths (<c>tokenFile</c>,
/// <c>keyPath</c>) are kept: they say where a secret is, not what it is.
/// </summary>
public static class ConfigRedactor
{
    public const string Redacted = "***redacted***";

    private static readonly string[] SecretWords = [
        "password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey", "keypem",
        "authorization", "bearer", "cookie", "connectionstring",
    ];
    private static readonly string[] LocationSuffixes = ["file", "path", "dir", "directory", "location"];

    public static bool IsSecretName(string name)
    {
        var lower = name.ToLowerInvariant().Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal);
        if (LocationSuffixes.Any(s => lower.EndsWith(s, StringComparison.Ordinal))) return false;
        return lower.EndsWith("key", StringComparison.Ordinal) || lower.EndsWith("keys", StringComparison.Ordinal) || SecretWords.Any(w => lower.Contains(w, StringComparison.Ordinal));
    }

    /// <summary>Redacts <paramref name="node"/> in place and returns it.</summary>
    public static JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (obj[name] is not { } child) continue;
                    if (IsSecretName(name)) obj[name] = Redacted;
                    else if (CleanedUrl(child) is { } cleaned) obj[name] = cleaned;
                    else Redact(child);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not { } child) continue;
                    if (CleanedUrl(child) is { } cleaned) array[i] = cleaned;
                    else Redact(child);
                }
                break;
        }
        return node;
    }

    private static string? CleanedUrl(JsonNode node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? RedactUrl(text) : null;

    /// <summary>A URL's password replaced (<c>mqtt://user:***redacted***@host</c>), or null when it has none.</summary>
    private static string? RedactUrl(string text)
    {
        if (!text.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(text, UriKind.Absolute, out var uri)) return null;
        var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return null;
        var at = text.IndexOf(uri.UserInfo + "@", StringComparison.Ordinal);
        if (at < 0) return null;
        return string.Concat(text.AsSpan(0, at), uri.UserInfo.AsSpan(0, colon + 1), Redacted, text.AsSpan(at + uri.UserInfo.Length));
    }
}
