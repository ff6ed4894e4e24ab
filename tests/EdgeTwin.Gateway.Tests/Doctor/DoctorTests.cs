using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests.Doctor;

/// <summary>`edgetwin doctor` on a good installation, a broken configuration, and an endpoint nobody listens on.</summary>
public sealed class DoctorTests(ITestOutputHelper output)
{
    private static TestConfig GoodConfig(TestDirectory dir)
    {
        var config = new TestConfig(dir) { SimulatorRate = 10, MinFreeDiskBytes = 1 << 20, MaxBytes = 1 << 20 };
        Directory.CreateDirectory(config.StateDirectory);
        Directory.CreateDirectory(config.SinkDirectory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(config.StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return config;
    }

    private (int Code, string Output) Doctor(string path)
    {
        var (code, text) = GatewayProcess.Run(TimeSpan.FromSeconds(60), "doctor", "--config", path);
        output.WriteLine($"exit {code}{Environment.NewLine}{text}");
        return (code, text);
    }

    [Fact]
    public void GoodConfig_EveryCheckPasses_ClockIsOkOrSaysUnknown()
    {
        using var dir = new TestDirectory("doctor-good");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var config = GoodConfig(dir);
        // A reachable endpoint in free-form asset settings: the doctor finds URLs wherever a connector puts them.
        config.ExtraAssets.Add(new JsonObject { ["id"] = "plc-1", ["config"] = new JsonObject { ["endpointUrl"] = $"opc.tcp://127.0.0.1:{port}" } });
        var (code, text) = Doctor(config.Write());

        Assert.Contains("[  ok  ] config: ", text, StringComparison.Ordinal);
        Assert.Contains($"[  ok  ] state: {config.StateDirectory}: writable", text, StringComparison.Ordinal);
        Assert.Contains("[  ok  ] state: free disk", text, StringComparison.Ordinal);
        Assert.Contains($"[  ok  ] network: opc.tcp://127.0.0.1:{port} ($.assets[3].config.endpointUrl): TCP connect", text, StringComparison.Ordinal);
        Assert.Contains("[  ok  ] folders: file sink out", text, StringComparison.Ordinal);
        Assert.Matches(@"\[( {2}ok {2}| WARN | \?\?\?\? )\] clock: NTP: ", text);
        Assert.DoesNotContain("FAIL", text, StringComparison.Ordinal);
        // NTP may be unsynchronized on a build machine: that is a warning (1), never a failure.
        var ntpWarning = text.Contains("[ WARN ] clock: NTP", StringComparison.Ordinal);
        Assert.Equal(ntpWarning ? 1 : 0, code);
    }

    [Fact]
    public void BrokenConfig_ExitsConfigError_NamingThePath()
    {
        using var dir = new TestDirectory("doctor-bad");
        var path = GoodConfig(dir).Write();
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"fullPolicy\": \"block\"", "\"fullPolicy\": \"sometimes\"", StringComparison.Ordinal));
        var (code, text) = Doctor(path);
        Assert.Equal(78, code);
        Assert.Contains("[ FAIL ] config:", text, StringComparison.Ordinal);
        Assert.Contains("$.queue.fullPolicy", text, StringComparison.Ordinal);
        Assert.Contains("configuration invalid (exit 78)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableEndpoint_AndMissingStateDirectory_Fail()
    {
        using var dir = new TestDirectory("doctor-down");
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var config = GoodConfig(dir);
        config.ExtraAssets.Add(new JsonObject { ["id"] = "broker", ["config"] = new JsonObject { ["bootstrapServers"] = $"127.0.0.1:{closedPort}" } });
        var (code, text) = Doctor(config.Write());
        Assert.Equal(2, code);
        Assert.Contains($"[ FAIL ] network: tcp://127.0.0.1:{closedPort} ($.assets[3].config.bootstrapServers): unreachable: ConnectionRefused", text, StringComparison.Ordinal);

        Directory.Delete(config.StateDirectory);
        (code, text) = Doctor(config.Write());
        Assert.Equal(2, code);
        Assert.Contains($"[ FAIL ] state: {config.StateDirectory}: does not exist", text, StringComparison.Ordinal);
    }
}
