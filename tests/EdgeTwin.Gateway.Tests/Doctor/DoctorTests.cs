using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.OpcUa;
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
        var closedPort = FreePort.Pick();
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

    [Fact]
    public async Task OpcUaSource_SessionNamespacesAndNodesAreChecked_EachProblemNamedWithItsConfigPath()
    {
        using var dir = new TestDirectory("doctor-opcua");
        await using var server = await OpcUaTestServer.StartAsync("--tick-ms", "100", "--tick-nodes", "2", "--users", "operator:s3cret");
        const string ns = "urn:edgetwin:test";
        JsonObject Source(params string[] nodes) => new()
        {
            ["name"] = "plc",
            ["url"] = server.EndpointUrl,
            ["groups"] = new JsonArray(new JsonObject
            {
                ["name"] = "ticks",
                ["mode"] = "polling",
                ["publishingIntervalMs"] = 1000,
                ["nodes"] = new JsonArray([.. nodes.Select((n, i) => (JsonNode)new JsonObject { ["node"] = n, ["asset"] = "ticker", ["metric"] = $"m{i}" })]),
            }),
        };
        TestConfig Config(JsonObject source)
        {
            var config = GoodConfig(dir);
            config.ExtraAssets.Add(new JsonObject { ["id"] = "ticker", ["name"] = "Ticking nodes" });
            config.OpcUaSources.Add(source);
            return config;
        }

        // Every node there and Good.
        var (code, text) = Doctor(Config(Source($"nsu={ns};s=Tick00000", $"nsu={ns};s=Tick00001")).Write("good.json"));
        Assert.Matches(@"\[  ok  \] opcua: OPC UA source plc opc\.tcp://[^ ]+ \(\$\.sources\.opcua\[0\]\): session as anonymous in \d+ ms; 2 of 2 configured node\(s\) read Good", text);
        Assert.DoesNotContain("FAIL", text, StringComparison.Ordinal);

        // A namespace the server does not have, and a node its namespace does not have: both named by their JSON path.
        (code, text) = Doctor(Config(Source($"nsu={ns};s=Tick00000", "nsu=urn:not:on:this:server;s=Tick00001", $"nsu={ns};s=NoSuchNode")).Write("bad-nodes.json"));
        Assert.Equal(2, code);
        Assert.Contains("1 of 3 configured node(s) read Good; 2 cannot be read", text, StringComparison.Ordinal);
        Assert.Contains("$.sources.opcua[0].groups[0].nodes[1].node: nsu=urn:not:on:this:server;s=Tick00001: the server has no namespace 'urn:not:on:this:server'", text, StringComparison.Ordinal);
        Assert.Contains($"$.sources.opcua[0].groups[0].nodes[2].node: nsu={ns};s=NoSuchNode: BadNodeIdUnknown", text, StringComparison.Ordinal);

        // A wrong password: refused, with where to fix it, and the password never printed.
        var wrong = Source($"nsu={ns};s=Tick00000");
        wrong["identity"] = new JsonObject { ["type"] = "username", ["username"] = "operator", ["password"] = "not-the-password" };
        (code, text) = Doctor(Config(wrong).Write("wrong-password.json"));
        Assert.Equal(2, code);
        Assert.Contains("the server refused the identity (user operator): BadUserAccessDenied", text, StringComparison.Ordinal);
        Assert.Contains("($.sources.opcua[0].identity)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", text, StringComparison.Ordinal);

        // The right one.
        var right = Source($"nsu={ns};s=Tick00000");
        right["identity"] = new JsonObject { ["type"] = "username", ["username"] = "operator", ["password"] = "s3cret" };
        (_, text) = Doctor(Config(right).Write("right-password.json"));
        Assert.Contains("session as user operator in", text, StringComparison.Ordinal);
        Assert.Contains("1 of 1 configured node(s) read Good", text, StringComparison.Ordinal);
    }

    [Fact]
    public void OpcUaCertificate_ValidIsOk_UnderThirtyDaysWarns_ExpiredFails()
    {
        using var dir = new TestDirectory("doctor-opcua-cert");
        var now = DateTimeOffset.UtcNow;
        string Check(string name, DateTimeOffset from, TimeSpan lifetime)
        {
            var pki = new EdgeTwin.OpcUa.Pki.UaPki(dir["pki-" + name]);
            pki.CreateOwn("urn:edgetwin:gateway", Dns.GetHostName(), from, lifetime);
            var config = GoodConfig(dir);
            config.ExtraAssets.Add(new JsonObject { ["id"] = "ticker", ["name"] = "Ticking nodes" });
            config.OpcUaSources.Add(new JsonObject
            {
                ["name"] = "plc",
                ["url"] = $"opc.tcp://127.0.0.1:{FreePort.Pick()}/nobody",
                ["securityPolicy"] = "Basic256Sha256",
                ["securityMode"] = "signAndEncrypt",
                ["pkiDirectory"] = pki.Root,
                ["groups"] = new JsonArray(new JsonObject
                {
                    ["name"] = "ticks",
                    ["mode"] = "polling",
                    ["publishingIntervalMs"] = 1000,
                    ["nodes"] = new JsonArray(new JsonObject { ["node"] = "nsu=urn:edgetwin:test;s=Tick00000", ["asset"] = "ticker", ["metric"] = "m0" }),
                }),
            });
            var (_, text) = Doctor(config.Write(name + ".json"));
            var line = text.Split('\n').FirstOrDefault(l => l.Contains("OPC UA certificate of source plc", StringComparison.Ordinal));
            Assert.True(line is not null, text);
            Assert.Contains(pki.OwnCerts, line, StringComparison.Ordinal);
            return line;
        }

        Assert.Matches(@"^\[  ok  \] .*: [0-9A-F]{40} valid until .* \((364|365) days left\)", Check("valid", now, TimeSpan.FromDays(365)));
        var soon = Check("soon", now.AddDays(-1), TimeSpan.FromDays(11));
        Assert.Matches(@"^\[ WARN \] .*: [0-9A-F]{40} expires in (9|10) day\(s\)", soon);
        Assert.Contains("`edgetwin opcua cert renew --pki ", soon, StringComparison.Ordinal);
        var expired = Check("expired", now.AddDays(-10), TimeSpan.FromDays(5));
        Assert.Matches(@"^\[ FAIL \] .*: [0-9A-F]{40} expired on \d{4}-\d\d-\d\d", expired);
        Assert.Contains("servers refuse it", expired, StringComparison.Ordinal);
    }
}
