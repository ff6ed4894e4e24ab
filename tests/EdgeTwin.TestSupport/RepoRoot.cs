namespace EdgeTwin.TestSupport;

/// <summary>The repository the tests run from: the folder that holds EdgeTwin.sln, above the test's bin folder.</summary>
public static class RepoRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    /// <summary>A path inside the repository, e.g. <c>RepoRoot.Combine("tests", "peers")</c>.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EdgeTwin.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (EdgeTwin.sln) above " + AppContext.BaseDirectory);
    }
}
