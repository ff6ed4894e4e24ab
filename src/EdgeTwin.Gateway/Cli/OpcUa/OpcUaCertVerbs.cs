using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.OpcUa.Pki;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>
/// `edgetwin opcua cert show|list|trust|reject|renew [--pki DIR]`: the gateway's certificate for the server's
/// administrator, and the trust lists. Trusting takes effect at the next connection; the gateway needs no restart.
/// </summary>
internal static class OpcUaCertVerbs
{
    public static Command Create()
    {
        var pki = new Option<string>("--pki") { Description = $"The PKI folder (default {OpcUaTarget.DefaultPki})", DefaultValueFactory = _ => OpcUaTarget.DefaultPki };
        var thumbprint = new Argument<string>("thumbprint") { Description = "The certificate's SHA-1 thumbprint (or its first 8+ hex digits), as `cert list` shows it" };

        var show = new Command("show", "Print the gateway's certificate (PEM, thumbprint, subject, URI, validity) to give to the server's administrator; created if there is none");
        show.Options.Add(pki);
        show.SetAction(r => Show(new UaPki(r.GetValue(pki)!)));

        var list = new Command("list", "List the trusted and the rejected server certificates (rejected: when first seen)");
        list.Options.Add(pki);
        list.SetAction(r => List(new UaPki(r.GetValue(pki)!)));

        var trust = new Command("trust", "Trust a rejected (or any listed) server certificate; no restart needed");
        trust.Arguments.Add(thumbprint);
        trust.Options.Add(pki);
        trust.SetAction(r => Trust(new UaPki(r.GetValue(pki)!), r.GetValue(thumbprint)!));

        var reject = new Command("reject", "Stop trusting a server certificate (it moves to rejected/)");
        reject.Arguments.Add(thumbprint);
        reject.Options.Add(pki);
        reject.SetAction(r => Reject(new UaPki(r.GetValue(pki)!), r.GetValue(thumbprint)!));

        var renew = new Command("renew", "Create a new gateway certificate now; a running gateway moves its sessions to it within a keep-alive interval, no restart");
        renew.Options.Add(pki);
        renew.SetAction(r =>
        {
            var store = new UaPki(r.GetValue(pki)!);
            var certificate = store.CreateOwn(OpcUaSource.ApplicationUri, Dns.GetHostName(), DateTimeOffset.UtcNow, UaPki.DefaultLifetime);
            Console.WriteLine($"renewed: {certificate.Thumbprint}, valid until {certificate.NotAfter.ToUniversalTime():u}; a running gateway moves to it within a keep-alive interval (no restart); give it (`edgetwin opcua cert show`) to the servers' administrators");
            return 0;
        });

        return new Command("cert", "The gateway's OPC UA certificate and the servers it trusts") { show, list, trust, reject, renew };
    }

    private static int Show(UaPki pki)
    {
        var own = pki.LoadOrCreateOwn(OpcUaSource.ApplicationUri, Dns.GetHostName(), DateTimeOffset.UtcNow);
        var (uris, hosts) = UaPkiValidator.SubjectAltNames(own);
        Console.WriteLine($"thumbprint: {own.Thumbprint}");
        Console.WriteLine($"subject:    {own.Subject}");
        Console.WriteLine($"uri:        {string.Join(", ", uris)}");
        Console.WriteLine($"hosts:      {string.Join(", ", hosts)}");
        Console.WriteLine($"valid:      {own.NotBefore.ToUniversalTime():u} to {own.NotAfter.ToUniversalTime():u} ({DaysLeft(own)} days left)");
        Console.WriteLine($"file:       {Path.Combine(pki.OwnCerts, UaPki.FileName(own))}");
        Console.WriteLine(own.ExportCertificatePem());
        return 0;
    }

    private static int List(UaPki pki)
    {
        foreach (var (store, folder) in new[] { ("trusted", pki.TrustedCerts), ("rejected", pki.RejectedCerts) })
        {
            foreach (var (certificate, file) in UaPki.Read(folder))
            {
                var seen = store == "rejected" ? $", first seen {File.GetLastWriteTimeUtc(file).ToString("u", CultureInfo.InvariantCulture)}" : "";
                Console.WriteLine($"{store,-8} {certificate.Thumbprint} {certificate.Subject} (until {certificate.NotAfter.ToUniversalTime():u}{seen})");
            }
        }

        return 0;
    }

    private static int Trust(UaPki pki, string thumbprint)
    {
        if (pki.Find(thumbprint) is not { } found)
        {
            return OpcUaConnection.Fail(ExitCodes.Usage, $"no single certificate in {pki.RejectedCerts} or {pki.TrustedCerts} has the thumbprint {thumbprint} (see `edgetwin opcua cert list --pki {pki.Root}`)");
        }

        var file = pki.Trust(found.Certificate);
        Console.WriteLine($"trusted: {found.Certificate.Subject} ({found.Certificate.Thumbprint}) in {file}");
        return 0;
    }

    private static int Reject(UaPki pki, string thumbprint)
    {
        if (pki.Find(thumbprint) is not { } found)
        {
            return OpcUaConnection.Fail(ExitCodes.Usage, $"no single certificate in {pki.RejectedCerts} or {pki.TrustedCerts} has the thumbprint {thumbprint}");
        }

        pki.Untrust(found.Certificate, DateTimeOffset.UtcNow);
        Console.WriteLine($"rejected: {found.Certificate.Subject} ({found.Certificate.Thumbprint})");
        return 0;
    }

    private static int DaysLeft(X509Certificate2 certificate) => (int)Math.Floor((certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays);
}
