namespace EdgeTwin.Core.Config;

/// <summary>One thing wrong with a configuration, located by its JSON path (<c>$.mappings[3].asset</c>).</summary>
public sealed record ConfigError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Thrown when a configuration cannot be used; carries every error found, not only the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string source, IReadOnlyList<ConfigError> errors)
        : base($"{source}: {errors.Count} configuration error(s):" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Source = source;
        Errors = errors;
    }

    public new string Source { get; }

    public IReadOnlyList<ConfigError> Errors { get; }
}
