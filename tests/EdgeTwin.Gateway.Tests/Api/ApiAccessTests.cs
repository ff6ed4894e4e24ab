using System.Net;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>Who may do what: tokens for mutating endpoints, refusal of an open bind without one, redaction of secrets.</summary>
[Collection("daemon")]
public sealed class ApiAccessTests
{
    [Fact]
    public void Replay_WithoutToken_Is401_WithAWrongOne_403_AndTheGeneratedTokenIsPrivateAndKept()
    {
        using var dir = new TestDirectory("api-token");
        var config = new TestConfig(dir) { Spool = true };
        var path = config.Write();
        string token;
        using (var daemon = ApiDaemon.Start(path))
        {
            var tokenFile = Path.Combine(config.StateDirectory, "api-token");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ApiDaemon.FileModeOf(tokenFile));
            token = File.ReadAllText(tokenFile).Trim();
            Assert.True(token.Length >= 40, token);
            Assert.DoesNotContain(token, daemon.Process.Output, StringComparison.Ordinal);

            var (code, body, response) = daemon.Post("/api/quarantine/replay", bearer: null);
            Assert.Equal(401, code);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            Assert.Contains("Authorization: Bearer", body, StringComparison.Ordinal);
            (code, body, _) = daemon.Post("/api/quarantine/replay", bearer: token + "x");
            Assert.Equal(403, code);
            (code, _, _) = daemon.Post("/api/quarantine/replay", bearer: "");
            Assert.Equal(401, code);
            (code, body, _) = daemon.Post("/api/quarantine/replay", bearer: token);
            Assert.True(code == 200, body);
            // Mutating endpoints take POST only; read-only ones need no token.
            Assert.Equal(405, daemon.Get("/api/quarantine/replay").Status);
            foreach (var open in new[] { "/healthz", "/readyz", "/metrics", "/api/status", "/api/shadow", "/api/queue", "/api/quarantine", "/api/config", "/api/anomalies", "/" })
            {
                Assert.True(daemon.Get(open).Status == 200, $"GET {open} without a token: {daemon.Get(open).Status}");
            }
            Assert.Equal(0, daemon.Stop());
        }
        // The token survives a restart: scripts and bookmarks keep working.
        using (var again = ApiDaemon.Start(path))
        {
            Assert.Equal(token, File.ReadAllText(Path.Combine(config.StateDirectory, "api-token")).Trim());
            Assert.Equal(200, again.Post("/api/quarantine/replay", token).Status);
            Assert.Equal(0, again.Stop());
        }
    }

    [Fact]
    public void ConfiguredToken_OrTokenFile_IsTheOneAccepted_AndNoTokenIsGenerated()
    {
        using var dir = new TestDirectory("api-cfgtok");
        var config = new TestConfig(dir) { Spool = true };
        config.Api["token"] = "configured-token-0123456789";
        var path = config.Write();
        using (var daemon = ApiDaemon.Start(path))
        {
            Assert.Equal(403, daemon.Post("/api/quarantine/replay", "some-other-token-000").Status);
            Assert.Equal(200, daemon.Post("/api/quarantine/replay", "configured-token-0123456789").Status);
            Assert.False(File.Exists(Path.Combine(config.StateDirectory, "api-token")));
            Assert.Equal(0, daemon.Stop());
        }

        File.WriteAllText(dir["token.txt"], "file-token-abcdefghijklmnop\n");
        config.Api.Remove("token");
        // Absolute: a relative path would resolve against the working directory (the test's), not the config's folder.
        config.Api["tokenFile"] = dir["token.txt"];
        path = config.Write();
        using (var daemon = ApiDaemon.Start(path))
        {
            Assert.Equal(403, daemon.Post("/api/quarantine/replay", "configured-token-0123456789").Status);
            Assert.Equal(200, daemon.Post("/api/quarantine/replay", "file-token-abcdefghijklmnop").Status);
            Assert.Equal(0, daemon.Stop());
        }

        config.Api["tokenFile"] = "missing.txt";
        path = config.Write();
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "run", "--config", path);
        Assert.Equal(78, code);
        Assert.Contains("$.api.tokenFile", output, StringComparison.Ordinal);
    }

    [Fact]
    public void NonLoopbackBind_WithoutToken_IsRefusedAtStartWithExit78_WithAToken_ItServes()
    {
        using var dir = new TestDirectory("api-bind");
        var config = new TestConfig(dir) { Spool = true };
        config.Api["address"] = "0.0.0.0";
        var path = config.Write();
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "run", "--config", path);
        Assert.Equal(78, code);
        Assert.Contains("$.api.address", output, StringComparison.Ordinal);
        Assert.Contains("not a loopback address", output, StringComparison.Ordinal);
        Assert.Contains("$.api.token", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(config.StateDirectory), "state was created by a refused start");
        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "check-config", path);
        Assert.Equal(78, code);
        Assert.Contains("$.api.address", output, StringComparison.Ordinal);

        config.Api["token"] = "lan-token-0123456789abcdef";
        path = config.Write();
        using var daemon = ApiDaemon.Start(path);
        Assert.Contains("API listening on http://0.0.0.0:", daemon.Process.Output, StringComparison.Ordinal);
        Assert.Equal("ok", daemon.GetJson("/healthz").GetProperty("status").GetString());
        Assert.Equal(401, daemon.Post("/api/quarantine/replay", null).Status);
        Assert.Equal(200, daemon.Post("/api/quarantine/replay", "lan-token-0123456789abcdef").Status);
        Assert.Equal(0, daemon.Stop());
    }

    [Fact]
    public void BusyPort_ExitsWith69_OnOneLineSayingWhoHoldsItAndWhatToChange_WithoutAStackTrace()
    {
        using var dir = new TestDirectory("api-busy");
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var config = new TestConfig(dir) { Spool = true };
        config.Api["port"] = port;
        var path = config.Write();

        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(60), "run", "--config", path);

        Assert.True(code == 69, output);
        // This test process holds the port: its pid is what the line names.
        var line = Assert.Single(output.Split('\n'), l => l.Contains("Cannot start the API", StringComparison.Ordinal));
        Assert.Contains($"Cannot start the API on 127.0.0.1:{port}: the port is already in use by pid {Environment.ProcessId} (", line, StringComparison.Ordinal);
        Assert.Contains("change $.api.port (or $.api.address) in " + path, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed", output, StringComparison.Ordinal);
        // Nothing started: no source ran, nothing was queued.
        Assert.DoesNotContain("Pipeline up", output, StringComparison.Ordinal);
    }

    [Fact]
    public void EffectiveConfig_RedactsPasswordsTokensAndKeys_AtAnyDepth()
    {
        using var dir = new TestDirectory("api-redact");
        var config = new TestConfig(dir) { Spool = true };
        config.Api["token"] = "very-secret-api-token-0001";
        config.ExtraAssets.Add(new JsonObject
        {
            ["id"] = "plc-7",
            ["config"] = new JsonObject
            {
                ["password"] = "hunter2-plc-password",
                ["apiKey"] = "ak-live-98765",
                ["certificateFile"] = "/etc/edgetwin/plc.pem",
                ["broker"] = "mqtt://edge:pw-in-the-url@broker.local:1883",
                ["nested"] = new JsonObject { ["clientSecret"] = "cs-4242", ["sasl_password"] = "kafka-pass-1", ["keys"] = new JsonArray("k1-secret"), ["ratedSpeedRpm"] = 2900 },
            },
        });
        using var daemon = ApiDaemon.Start(config.Write());
        var text = daemon.GetText("/api/config");
        foreach (var secret in new[] { "very-secret-api-token-0001", "hunter2-plc-password", "ak-live-98765", "pw-in-the-url", "cs-4242", "kafka-pass-1", "k1-secret" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
        var root = JsonNode.Parse(text)!["config"]!;
        Assert.Equal("***redacted***", (string?)root["api"]!["token"]);
        var plc = root["assets"]!.AsArray().Single(a => (string?)a!["id"] == "plc-7")!["config"]!;
        Assert.Equal("***redacted***", (string?)plc["password"]);
        Assert.Equal("***redacted***", (string?)plc["apiKey"]);
        Assert.Equal("***redacted***", (string?)plc["nested"]!["clientSecret"]);
        Assert.Equal("***redacted***", (string?)plc["nested"]!["sasl_password"]);
        // What is not secret stays: where a certificate is, the user of a URL, ordinary settings.
        Assert.Equal("/etc/edgetwin/plc.pem", (string?)plc["certificateFile"]);
        Assert.Equal("mqtt://edge:***redacted***@broker.local:1883", (string?)plc["broker"]);
        Assert.Equal(2900, (int)plc["nested"]!["ratedSpeedRpm"]!);
        Assert.Equal("gw-test", (string?)root["gateway"]!["id"]);
        Assert.Equal(0, daemon.Stop());
    }
}
