using System.Text.Json;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>Reads the daemon's status.json (written every two seconds).</summary>
public static class StatusFile
{
    public static JsonElement? Read(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, "status.json");
        try
        {
            return File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone() : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null; // replaced while we read it
        }
    }
}
