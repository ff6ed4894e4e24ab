namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>A scratch directory for one test, removed afterwards (and unmounted, if a test mounted a tmpfs in it).</summary>
public sealed class TestDirectory : IDisposable
{
    public TestDirectory(string name)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgetwin-tests", $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A mount point still busy: leave it; /tmp is cleared on the next boot.
        }
    }
}
