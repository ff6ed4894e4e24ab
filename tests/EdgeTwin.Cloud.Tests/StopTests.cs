using EdgeTwin.Cloud.Tests.Infrastructure;

namespace EdgeTwin.Cloud.Tests;

/// <summary>How <c>edgetwin-cloud run</c> stops when asked to before it is up: a plain stop, exit 0, no stack trace.</summary>
public sealed class StopTests
{
    [Fact]
    public void Sigterm_WhileWaitingForTheDatabase_StopsCleanly()
    {
        var dir = Path.Combine(Path.GetTempPath(), "edgetwin-cloud-stop-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Nothing listens on the database port: the migration at start waits with backoff.
            var config = CloudProcess.WriteConfig(dir, "127.0.0.1:1", $"Host=127.0.0.1;Port={FreePort.Pick()};Username=nobody;Timeout=2");
            using var cloud = CloudProcess.Start(config);
            Wait.Until(() => cloud.Output.Contains("the database is not reachable", StringComparison.Ordinal) || cloud.HasExited,
                TimeSpan.FromSeconds(60), () => "the migration to wait for the database:" + Environment.NewLine + cloud.Output);
            Assert.False(cloud.HasExited, cloud.Output);

            cloud.Terminate(TimeSpan.FromSeconds(30));

            Assert.True(cloud.ExitCode == 0, $"exit {cloud.ExitCode}:{Environment.NewLine}{cloud.Output}");
            Assert.DoesNotContain("   at ", cloud.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
