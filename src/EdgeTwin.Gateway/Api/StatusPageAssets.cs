using System.Security.Cryptography;
using EdgeTwin.Storage;
using Microsoft.AspNetCore.Http;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// The status page's files (plain HTML, CSS and JavaScript, no build step), embedded in the binary and served
/// from memory. Nothing is loaded from elsewhere: the page works on a site with no internet access.
/// </summary>
public sealed class StatusPageAssets
{
    private const string Prefix = "statuspage/";
    private readonly Dictionary<string, (byte[] Bytes, string ContentType, string ETag)> _files = new(StringComparer.Ordinal);

    public StatusPageAssets()
    {
        var assembly = typeof(StatusPageAssets).Assembly;
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var file = name[Prefix.Length..];
            _files[file] = (bytes, ContentTypeOf(file), "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"");
        }
        if (!_files.ContainsKey("index.html")) throw new InvalidOperationException("the status page is missing from this build");
    }

    public IReadOnlyCollection<string> Files => _files.Keys;

    /// <summary>Rows of the quarantine and anomaly tables, in the embedded state and in the page's polls alike.</summary>
    public const int QuarantineRows = 10, AnomalyRows = 20;

    /// <summary>Where index.html takes the embedded state.</summary>
    private const string StateMarker = "<!--initial-state-->";

    /// <summary>
    /// The page with its first state embedded (<paramref name="state"/>, the JSON of what its polls ask for) as a JSON
    /// data block the script renders before its first poll: a page loaded by a browser that paints once (a headless
    /// screenshot) shows data, not "connecting…". A data block is not a script, so the content security policy stays
    /// as strict; "&lt;" is escaped so that no text from a device can end the block.
    /// </summary>
    public IResult ServePage(HttpContext context, Func<string> state)
    {
        var (bytes, contentType, _) = _files["index.html"];
        var html = System.Text.Encoding.UTF8.GetString(bytes);
        string? json;
        try
        {
            json = state().Replace("<", "\\u003c", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is StorageException or InvalidOperationException or ObjectDisposedException)
        {
            json = null; // the queue is being reopened or closed: the page starts empty and its polls fill it
        }
        html = html.Replace(StateMarker, json is null ? "" : $"<script type=\"application/json\" id=\"initial-state\">{json}</script>", StringComparison.Ordinal);
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(System.Text.Encoding.UTF8.GetBytes(html), contentType);
    }

    public IResult Serve(HttpContext context, string file)
    {
        if (!_files.TryGetValue(file, out var f)) return ApiResults.Error(StatusCodes.Status404NotFound, $"no such file: {file}");
        var headers = context.Response.Headers;
        headers.ETag = f.ETag;
        headers.CacheControl = "no-cache";
        // Same-origin only: the page needs nothing from anywhere else, and may not be framed.
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch == f.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(f.Bytes, f.ContentType);
    }

    private static string ContentTypeOf(string file) => Path.GetExtension(file) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
