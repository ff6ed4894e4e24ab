using System.Net;
using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Cli;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.Gateway.Tests.OpcUa;

/// <summary>
/// `edgetwin opcua cert …` and a technician verb on a secured channel, in the published binary, against the node-opcua
/// test server reached by the host name its certificate names.
/// </summary>
[Collection(OpcUaServerFixture.CollectionName)]
public sealed partial class OpcUaCertVerbTests(OpcUaServerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private string Url => $"opc.tcp://{Dns.GetHostName()}:{fixture.Server.Port}/UA/EdgeTwinTest";

    private static string[] Secured(string pki) => ["--policy", "Basic256Sha256", "--mode", "SignAndEncrypt", "--pki", pki];

    [Fact]
    public void AnUntrustedServer_ExitsUntrusted_WithTheTrustCommand_WhichThenLetsTheVerbThrough()
    {
        using var dir = new TestDirectory("opcua-untrusted");
        var pki = dir["pki"];
        var (code, output) = GatewayProcess.Run(Timeout, ["opcua", "read", Url, "i=2258", .. Secured(pki)]);
        Assert.True(code == ExitCodes.Untrusted, $"exit {code}: {output}");
        var command = TrustCommand().Match(output);
        Assert.True(command.Success, "no trust command in: " + output);
        Assert.Equal(Path.GetFullPath(pki), command.Groups["pki"].Value);
        var thumbprint = command.Groups["thumbprint"].Value;
        Assert.Single(Directory.GetFiles(Path.Combine(pki, "rejected", "certs")), f => f.Contains(thumbprint, StringComparison.Ordinal));

        // The exact command the message gives, then the verb again: no other step.
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "trust", thumbprint, "--pki", command.Groups["pki"].Value);
        Assert.True(code == 0, output);
        (code, output) = GatewayProcess.Run(Timeout, ["opcua", "read", Url, "i=2258", .. Secured(pki)]);
        Assert.True(code == 0, output);
        Assert.Contains("i=2258  UtcTime  = 20", output, StringComparison.Ordinal);
    }

    [Fact]
    public void CertVerbs_Show_List_Trust_Reject_Renew()
    {
        using var dir = new TestDirectory("opcua-cert-verbs");
        var pki = dir["pki"];
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "show", "--pki", pki);
        Assert.True(code == 0, output);
        var thumbprint = Field(output, "thumbprint");
        Assert.Matches("^[0-9A-F]{40}$", thumbprint);
        Assert.Contains($"CN=EdgeTwin@{Dns.GetHostName()}", Field(output, "subject"), StringComparison.Ordinal);
        Assert.Equal("urn:edgetwin:gateway", Field(output, "uri"));
        Assert.Contains(Dns.GetHostName(), Field(output, "hosts"), StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d\d-\d\d .* to \d{4}-\d\d-\d\d .* \((729|730) days left\)$", Field(output, "valid"));
        var pem = output[output.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)..];
        using (var shown = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem))
        {
            Assert.Equal(thumbprint, shown.Thumbprint);
        }

        // Shown again: the same certificate, not a new one.
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "show", "--pki", pki);
        Assert.True(code == 0, output);
        Assert.Equal(thumbprint, Field(output, "thumbprint"));

        // A server met without trust is listed as rejected, with when it was first seen; trust and reject move it.
        (code, output) = GatewayProcess.Run(Timeout, ["opcua", "read", Url, "i=2258", .. Secured(pki)]);
        Assert.True(code == ExitCodes.Untrusted, output);
        var server = TrustCommand().Match(output).Groups["thumbprint"].Value;
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "list", "--pki", pki);
        Assert.True(code == 0, output);
        Assert.Matches($@"(?m)^rejected {server} .*first seen \d{{4}}-\d\d-\d\d", output);
        Assert.DoesNotContain("trusted  " + server, output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "trust", server[..8], "--pki", pki);
        Assert.True(code == 0, output);
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "list", "--pki", pki);
        Assert.Matches($"(?m)^trusted  {server} ", output);
        Assert.DoesNotContain("rejected " + server, output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "reject", server, "--pki", pki);
        Assert.True(code == 0, output);
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "list", "--pki", pki);
        Assert.Matches($"(?m)^rejected {server} ", output);
        (code, output) = GatewayProcess.Run(Timeout, ["opcua", "read", Url, "i=2258", .. Secured(pki)]);
        Assert.True(code == ExitCodes.Untrusted, output);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "trust", "0123456789", "--pki", pki);
        Assert.True(code == ExitCodes.Usage, output);
        Assert.Contains("0123456789", output, StringComparison.Ordinal);

        // Renew: a new certificate, which show prints from then on; the old file stays.
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "renew", "--pki", pki);
        Assert.True(code == 0, output);
        var renewed = RenewedThumbprint(output);
        Assert.NotEqual(thumbprint, renewed);
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "cert", "show", "--pki", pki);
        Assert.Equal(renewed, Field(output, "thumbprint"));
        var own = Directory.GetFiles(Path.Combine(pki, "own", "certs"));
        Assert.Contains(own, f => f.Contains(thumbprint, StringComparison.Ordinal));
        Assert.Contains(own, f => f.Contains(renewed, StringComparison.Ordinal));
    }

    internal static string RenewedThumbprint(string output)
    {
        var match = Regex.Match(output, "renewed: ([0-9A-F]{40}),");
        Assert.True(match.Success, output);
        return match.Groups[1].Value;
    }

    private static string Field(string output, string name)
    {
        var match = Regex.Match(output, $"(?m)^{name}: +(.*?)\\r?$");
        Assert.True(match.Success, $"no '{name}:' in: {output}");
        return match.Groups[1].Value.Trim();
    }

    [GeneratedRegex(@"`edgetwin opcua cert trust (?<thumbprint>[0-9A-F]{40}) --pki (?<pki>[^`]+)`")]
    private static partial Regex TrustCommand();
}
