namespace EdgeTwin.TestSupport;

/// <summary>
/// A size-limited tmpfs mounted on a directory for the full-disk tests, lazily unmounted on dispose. Mounting needs
/// root (tests/run.sh runs as root); without it the test fails with the reason instead of testing a roomy disk.
/// </summary>
public sealed class SizeLimitedDirectory : IDisposable
{
    private SizeLimitedDirectory(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's syntax: "16m", "40m") on <paramref name="path"/>.</summary>
    public static SizeLimitedDirectory Mount(string path, string size)
    {
        Directory.CreateDirectory(path);
        var (code, output) = Shell.Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        if (code != 0)
        {
            throw new InvalidOperationException($"the full-disk test needs a size-limited tmpfs and could not mount one at {path} (run the tests as root): {output}");
        }
        return new SizeLimitedDirectory(path);
    }

    public void Dispose() => Shell.Run("umount", "-l", Path);
}
