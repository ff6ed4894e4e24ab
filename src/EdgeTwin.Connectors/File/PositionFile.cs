using System.Buffers;
using System.Text.Json;
using EdgeTwin.Core.IO;

namespace EdgeTwin.Connectors.File;

/// <summary>
/// The sidecar <c>position.json</c>: <c>{"segment":41,"file":"edgetwin-…-000003.jsonl","length":1048576}</c>.
/// It is replaced atomically (temp file, fsync, rename, directory fsync), so after a crash it names either the
/// old position or the new one, never a torn mix. Reading is strict: a damaged sidecar is an error to show,
/// because guessing a position would lose or repeat confirmed data.
/// </summary>
internal sealed class PositionFile : IDisposable
{
    public const string FileName = "position.json";
    public const string TempFileName = "position.json.tmp";

    // A valid sidecar is under 200 bytes; anything far larger is not ours and is not worth reading into memory.
    private const int MaxBytes = 64 * 1024;

    private readonly DirectorySync _directory;
    private readonly ArrayBufferWriter<byte> _encoded = new(256);
    private readonly Utf8JsonWriter _json;

    public PositionFile(DirectorySync directory)
    {
        _directory = directory;
        Path = System.IO.Path.Combine(directory.Path, FileName);
        TempPath = System.IO.Path.Combine(directory.Path, TempFileName);
        _json = new Utf8JsonWriter(_encoded);
    }

    public string Path { get; }

    public string TempPath { get; }

    /// <summary>Sees each step of a write; for tests only (see <see cref="DurabilityStep"/>).</summary>
    internal Action<DurabilityStep>? StepHook { get; set; }

    /// <summary>The recorded position, or null when there is no sidecar. Throws <see cref="InvalidDataException"/> naming the path when it is damaged.</summary>
    public SinkPosition? Read()
    {
        byte[] bytes;
        try
        {
            using var handle = System.IO.File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            if (length > MaxBytes) throw Corrupt($"it is {length} bytes long, far more than a position");
            bytes = new byte[length];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0) break;
                read += n;
            }
            if (read != bytes.Length) throw Corrupt($"it shrank while being read ({read} of {bytes.Length} bytes)");
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        return Parse(bytes);
    }

    /// <summary>Records <paramref name="position"/> durably: when this returns, a crash cannot bring back an older one.</summary>
    public void Write(SinkPosition position)
    {
        _encoded.ResetWrittenCount();
        _json.Reset(_encoded);
        _json.WriteStartObject();
        if (position.Segment is { } segment) _json.WriteNumber("segment"u8, segment);
        else _json.WriteNull("segment"u8);
        _json.WriteString("file"u8, position.File);
        _json.WriteNumber("length"u8, position.Length);
        _json.WriteEndObject();
        _json.Flush();

        using (var handle = System.IO.File.OpenHandle(TempPath, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, _encoded.WrittenSpan, 0);
            RandomAccess.FlushToDisk(handle);
        }
        StepHook?.Invoke(DurabilityStep.PositionTempSynced);

        // rename(2) replaces the old sidecar atomically; the directory fsync makes the replacement itself durable.
        System.IO.File.Move(TempPath, Path, overwrite: true);
        StepHook?.Invoke(DurabilityStep.PositionRenamed);
        _directory.Flush();
        StepHook?.Invoke(DurabilityStep.PositionDurable);
    }

    public void Dispose() => _json.Dispose();

    private SinkPosition Parse(ReadOnlySpan<byte> bytes)
    {
        long? segment = null;
        string? file = null;
        long length = -1;
        bool sawSegment = false, sawFile = false, sawLength = false;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Corrupt("it is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("segment"u8))
                {
                    if (sawSegment) throw Corrupt("\"segment\" appears twice");
                    sawSegment = true;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null) segment = null;
                    else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var s)) segment = s;
                    else throw Corrupt("\"segment\" is neither a whole number nor null");
                }
                else if (reader.ValueTextEquals("file"u8))
                {
                    if (sawFile) throw Corrupt("\"file\" appears twice");
                    sawFile = true;
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String) throw Corrupt("\"file\" is not a string");
                    file = reader.GetString()!;
                    if (!JsonlFileName.TryParse(file, out _))
                    {
                        throw Corrupt($"\"file\" is '{file}', which is not a file name this sink writes ({JsonlFileName.SearchPattern})");
                    }
                }
                else if (reader.ValueTextEquals("length"u8))
                {
                    if (sawLength) throw Corrupt("\"length\" appears twice");
                    sawLength = true;
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out length) || length < 0)
                    {
                        throw Corrupt("\"length\" is not a non-negative whole number");
                    }
                }
                else
                {
                    throw Corrupt($"it has an unknown property \"{reader.GetString()}\"");
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject) throw Corrupt("the object is not closed");
            if (reader.Read()) throw Corrupt("there is more after the object");
        }
        catch (JsonException e)
        {
            throw Corrupt($"it is not valid JSON ({e.Message})", e);
        }

        if (!sawSegment) throw Corrupt("\"segment\" is missing");
        if (!sawFile) throw Corrupt("\"file\" is missing");
        if (!sawLength) throw Corrupt("\"length\" is missing");
        return new SinkPosition(segment, file!, length);
    }

    private InvalidDataException Corrupt(string what, Exception? inner = null) =>
        new($"The file sink's position file '{Path}' is damaged: {what}. It records which queue segments the sink's files hold; "
            + "restore it, or remove it to make the sink start a new file and rely on the queue's own cursor.", inner);
}
