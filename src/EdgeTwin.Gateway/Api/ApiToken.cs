using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// The bearer token that mutating endpoints (quarantine replay) require: $.api.token, or the first line of
/// $.api.tokenFile, or else one generated on first start into the state directory as <c>api-token</c> (mode 0600),
/// so that only the gateway's own user (and root) can read it.
/// </summary>
public sealed class ApiToken
{
    public const string FileName = "api-token";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly byte[] _token;

    private ApiToken(string token, string origin)
    {
        _token = Encoding.UTF8.GetBytes(token);
        Origin = origin;
    }

    /// <summary>Where the token comes from, for the start-up log (never the token itself).</summary>
    public string Origin { get; }

    /// <exception cref="ConfigException">$.api.tokenFile cannot be read or holds no token.</exception>
    /// <exception cref="IOException">The generated token cannot be written to the state directory.</exception>
    public static ApiToken Resolve(ApiConfig api, string stateDirectory, string configSource)
    {
        if (api.Token is { } token) return new ApiToken(token, "$.api.token");
        if (api.TokenFile is { } file) return new ApiToken(ReadTokenFile(file, configSource), file);
        var path = Path.Combine(stateDirectory, FileName);
        if (File.Exists(path))
        {
            // An existing file stays private to the gateway's user even if someone loosened its mode.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerOnly);
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= 16) return new ApiToken(existing, path);
        }
        var generated = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        Directory.CreateDirectory(stateDirectory);
        var tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using (var stream = new FileStream(tmp, options))
        {
            // A leftover temp file keeps its old mode when reopened: set it explicitly.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
            stream.Write(Encoding.UTF8.GetBytes(generated + "\n"));
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        return new ApiToken(generated, path + " (generated)");
    }

    private static string ReadTokenFile(string file, string configSource)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(configSource, [new ConfigError("$.api.tokenFile", $"cannot read {file}: {ex.Message}")]);
        }
        var line = text.Split('\n', 2)[0].Trim();
        if (line.Length < 16) throw new ConfigException(configSource, [new ConfigError("$.api.tokenFile", $"{file} must hold a token of at least 16 characters on its first line")]);
        return line;
    }

    /// <summary>Compares in constant time, so response timing reveals nothing about the token.</summary>
    public bool Matches(ReadOnlySpan<char> presented)
    {
        Span<byte> buffer = stackalloc byte[1024];
        if (Encoding.UTF8.GetMaxByteCount(presented.Length) > buffer.Length) return false;
        var n = Encoding.UTF8.GetBytes(presented, buffer);
        return CryptographicOperations.FixedTimeEquals(buffer[..n], _token);
    }
}
