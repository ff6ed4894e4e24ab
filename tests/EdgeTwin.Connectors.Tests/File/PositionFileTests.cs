using EdgeTwin.Connectors.File;
using EdgeTwin.Core.IO;

namespace EdgeTwin.Connectors.Tests.File;

public sealed class PositionFileTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(null, 0L)]
    [InlineData(0L, 0L)]
    [InlineData(long.MaxValue, 1L << 40)]
    public void Write_ThenRead_RoundTrips(long? segment, long length)
    {
        using var file = new PositionFile(new DirectorySync(_dir.Path));
        var position = new SinkPosition(segment, "edgetwin-20261124T030000Z-000001.jsonl", length);

        file.Write(position);

        Assert.Equal(position, file.Read());
        Assert.False(System.IO.File.Exists(file.TempPath));
    }

    [Fact]
    public void Write_ProducesTheDocumentedShape()
    {
        using var file = new PositionFile(new DirectorySync(_dir.Path));

        file.Write(new SinkPosition(41, "edgetwin-20261124T030000Z-000003.jsonl", 1048576));

        Assert.Equal(
            "{\"segment\":41,\"file\":\"edgetwin-20261124T030000Z-000003.jsonl\",\"length\":1048576}",
            System.IO.File.ReadAllText(file.Path));
    }

    [Fact]
    public void Read_WithoutFile_ReturnsNull()
    {
        using var file = new PositionFile(new DirectorySync(_dir.Path));

        Assert.Null(file.Read());
    }

    [Fact]
    public void Read_OversizedFile_IsDamaged()
    {
        using var file = new PositionFile(new DirectorySync(_dir.Path));
        System.IO.File.WriteAllText(file.Path, new string(' ', 100_000));

        var e = Assert.Throws<InvalidDataException>(() => file.Read());

        Assert.Contains(file.Path, e.Message, StringComparison.Ordinal);
    }
}
