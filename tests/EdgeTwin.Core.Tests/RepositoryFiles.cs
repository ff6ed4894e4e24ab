namespace EdgeTwin.Core.Tests;

/// <summary>
/// Files committed in the repository (schemas, shipped configs), read in place rather than copied into the test
/// output, so the tests check the very files that ship.
/// </summary>
internal static class RepositoryFiles
{
    public static string Path(params string[] parts) => RepoRoot.Combine(parts);

    private static readonly string[] SkippedFolders = ["bin", "obj", "node_modules", "artifacts", ".git"];

    /// <summary>Every file below <paramref name="folder"/> (a repository path) whose name matches, skipping build output and installed packages.</summary>
    public static IEnumerable<string> Find(string folder, Func<string, bool> nameMatches)
    {
        var pending = new Stack<string>([folder]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                if (!SkippedFolders.Contains(System.IO.Path.GetFileName(sub))) pending.Push(sub);
            }
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                if (nameMatches(System.IO.Path.GetFileName(file))) yield return file;
            }
        }
    }
}
