namespace EdgeTwin.Gateway.Config;

/// <summary>A path the configuration gave as relative (<paramref name="Value"/> at <paramref name="JsonPath"/>) and what it resolved to.</summary>
public sealed record RelativeConfigPath(string JsonPath, string Value, string Resolved);
