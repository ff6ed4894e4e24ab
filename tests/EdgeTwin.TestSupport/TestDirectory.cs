namespace EdgeTwin.TestSupport;

/// <summary>
/// A scratch directory for one test under the system temp folder, removed with everything in it afterwards (a
/// directory still busy, such as a tmpfs a test mounted in it, is left for the next boot to clear).
/// </summary>
public sealed class TestDirectory : IDisposable
{
    /// <param name="name">A word that tells whose directory it is in a listing of the temp folder.</param>
    public TestDirectory(string name = "test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgetwin-tests", $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string this[string relative] => Combine(relative);

    /// <summary>A path inside the directory.</summary>
    public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A mount point still busy: leave it; /tmp is cleared on the next boot.
        }
    }
}
