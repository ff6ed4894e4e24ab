using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.OpcUa.Transport;

namespace EdgeTwin.OpcUa.Tests.Transport;

/// <summary>
/// Recorded UA TCP traffic: for each connection, the chunks the client sent and the chunks the server sent, each
/// exactly as it crossed the wire. Stored in TestData/opcua-live-capture.json (hex, one chunk per entry).
/// </summary>
public sealed record LiveCapture(string Server, IReadOnlyList<LiveCapture.Connection> Connections)
{
    public const string FileName = "opcua-live-capture.json";

    public sealed record Connection(string Scenario, IReadOnlyList<byte[]> FromClient, IReadOnlyList<byte[]> FromServer);

    /// <summary>Every chunk of both directions.</summary>
    public IEnumerable<byte[]> AllChunks => Connections.SelectMany(c => c.FromClient.Concat(c.FromServer));

    /// <summary>Cuts a recorded byte stream into chunks with the scanner; trailing bytes of an unfinished chunk fail the capture.</summary>
    public static List<byte[]> Chunks(byte[] stream)
    {
        var chunks = new List<byte[]>();
        var buffer = new ReadOnlySequence<byte>(stream);
        while (UaTcpChunkScanner.TryRead(ref buffer, 1 << 24, out _, out var chunk))
        {
            chunks.Add(chunk.ToArray());
        }

        Assert.True(buffer.IsEmpty, $"{buffer.Length} bytes after the last complete chunk");
        return chunks;
    }

    public static LiveCapture Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!;
        var connections = root["connections"]!.AsArray().Select(c => new Connection(
            (string)c!["scenario"]!,
            c["fromClient"]!.AsArray().Select(h => Convert.FromHexString((string)h!)).ToList(),
            c["fromServer"]!.AsArray().Select(h => Convert.FromHexString((string)h!)).ToList())).ToList();
        return new LiveCapture((string)root["server"]!, connections);
    }

    public void Save(string path)
    {
        var root = new JsonObject
        {
            ["about"] = "UA TCP chunks recorded between the EdgeTwin client and the node-opcua test server (tests/peers/opcua-server) by LiveCaptureTests; regenerate with EDGETWIN_RECORD_OPCUA_CAPTURE=1",
            ["server"] = Server,
            ["connections"] = new JsonArray(Connections.Select(c => (JsonNode)new JsonObject
            {
                ["scenario"] = c.Scenario,
                ["fromClient"] = new JsonArray(c.FromClient.Select(b => (JsonNode)Convert.ToHexString(b)).ToArray()),
                ["fromServer"] = new JsonArray(c.FromServer.Select(b => (JsonNode)Convert.ToHexString(b)).ToArray()),
            }).ToArray()),
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
