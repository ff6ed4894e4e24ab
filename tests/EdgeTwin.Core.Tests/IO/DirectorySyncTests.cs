using EdgeTwin.Core.IO;

namespace EdgeTwin.Core.Tests.IO;

public sealed class DirectorySyncTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgetwin-dirsync-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Flush_ExistingDirectory_Succeeds()
    {
        var sync = new DirectorySync(_dir);

        sync.Flush();

        Assert.True(Directory.Exists(_dir));
    }

    [Fact]
    public void Flush_MissingDirectory_ThrowsIOExceptionWithPathAndErrno()
    {
        var missing = Path.Combine(_dir, "missing");
        var sync = new DirectorySync(missing);

        var e = Assert.Throws<IOException>(sync.Flush);

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("errno 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flush_PathThatIsAFile_ThrowsIOException()
    {
        var file = Path.Combine(_dir, "plain");
        System.IO.File.WriteAllText(file, "x");

        var e = Assert.Throws<IOException>(new DirectorySync(file).Flush);

        Assert.Contains("errno 20", e.Message, StringComparison.Ordinal);
    }
}
