using System.Security.Cryptography.X509Certificates;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.OpcUa.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeTwin.Gateway.Api;

/// <summary>One certificate of an OPC UA source's PKI folder: the gateway's own, a trusted server's, or a rejected one.</summary>
public sealed record CertificateEntry(string Store, string Thumbprint, string Subject, DateTime NotBefore, DateTime NotAfter, string Pki, List<string> Sources, DateTime? FirstSeen);

public sealed record CertificatesResponse(List<CertificateEntry> Certificates);

/// <summary>
/// The OPC UA certificates of the running gateway: GET /api/opcua/certificates lists every PKI folder a source uses
/// (own, trusted, rejected); POST /api/opcua/certificates/{thumbprint}/trust (with the API token) approves a rejected
/// server certificate, which the source uses at its next connection attempt, without a restart.
/// </summary>
internal static class CertificateEndpoints
{
    public static void Map(RouteGroupBuilder open, RouteGroupBuilder admin, GatewayRuntime runtime)
    {
        open.MapGet("/opcua/certificates", () => Results.Json(new CertificatesResponse(List(runtime)), ApiJsonContext.Default.CertificatesResponse));
        admin.MapPost("/opcua/certificates/{thumbprint}/trust", (string thumbprint) =>
        {
            foreach (var (pki, _) in Folders(runtime))
            {
                if (pki.Find(thumbprint) is { } found)
                {
                    pki.Trust(found.Certificate);
                    return Results.Json(new CertificatesResponse([.. List(runtime).Where(c => c.Thumbprint == found.Certificate.Thumbprint)]), ApiJsonContext.Default.CertificatesResponse);
                }
            }

            return ApiResults.Error(StatusCodes.Status404NotFound, $"no single certificate with the thumbprint {thumbprint} is in a PKI folder of this gateway's OPC UA sources (GET /api/opcua/certificates lists them)");
        });
    }

    private static List<(UaPki Pki, List<string> Sources)> Folders(GatewayRuntime runtime) =>
        [.. runtime.Sources.OfType<OpcUaSource>().GroupBy(s => Path.GetFullPath(s.PkiDirectory)).Select(g => (new UaPki(g.Key), g.Select(s => s.Name).ToList()))];

    private static List<CertificateEntry> List(GatewayRuntime runtime)
    {
        var entries = new List<CertificateEntry>();
        foreach (var (pki, sources) in Folders(runtime))
        {
            foreach (var (store, folder) in new[] { ("own", pki.OwnCerts), ("trusted", pki.TrustedCerts), ("rejected", pki.RejectedCerts) })
            {
                foreach (var (certificate, file) in UaPki.Read(folder))
                {
                    using (certificate)
                    {
                        entries.Add(Entry(store, certificate, pki, sources, store == "rejected" ? File.GetLastWriteTimeUtc(file) : null));
                    }
                }
            }
        }

        return entries;
    }

    private static CertificateEntry Entry(string store, X509Certificate2 certificate, UaPki pki, List<string> sources, DateTime? firstSeen) =>
        new(store, certificate.Thumbprint, certificate.Subject, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime(), pki.Root, sources, firstSeen);
}
