using EdgeTwin.Connectors.File;

namespace EdgeTwin.Connectors.Tests.File;

public sealed class DirectorySyncTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Flush_ExistingDirectory_Succeeds()
    {
        var sync = new DirectorySync(_dir.Path);

        sync.Flush();

        Assert.True(Directory.Exists(_dir.Path));
    }

    [Fact]
    public void Flush_MissingDirectory_ThrowsIOExceptionWithPathAndErrno()
    {
        var missing = _dir.Combine("missing");
        var sync = new DirectorySync(missing);

        var e = Assert.Throws<IOException>(sync.Flush);

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("errno 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flush_PathThatIsAFile_ThrowsIOException()
    {
        var file = _dir.Combine("plain");
        System.IO.File.WriteAllText(file, "x");

        var e = Assert.Throws<IOException>(new DirectorySync(file).Flush);

        Assert.Contains("errno 20", e.Message, StringComparison.Ordinal);
    }
}
