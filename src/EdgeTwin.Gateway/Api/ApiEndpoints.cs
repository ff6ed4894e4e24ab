using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// The routes of the local API. Every handler is a minimal-API delegate compiled by the Request Delegate
/// Generator and writes source-generated JSON, so the native-AOT binary serves them without reflection.
/// Read-only routes are open; routes that change state go through <see cref="BearerTokenFilter"/>.
/// </summary>
public static class ApiEndpoints
{
    public const int MaxListLimit = 10_000;
    public const int MaxReplayLimit = 100_000;

    public static void Map(IEndpointRouteBuilder app, GatewayRuntime runtime, ApiToken token, StatusPageAssets page)
    {
        app.MapGet("/healthz", () =>
        {
            var idle = (runtime.Time.GetUtcNow().UtcTicks - Volatile.Read(ref runtime.Metrics.LastProgressTicks)) / (double)TimeSpan.TicksPerSecond;
            var alive = runtime.Pipeline is { Completion.IsCompleted: false };
            return Results.Json(new HealthResponse(alive ? "ok" : "pipeline stopped", GatewayRuntime.Version, Math.Max(0, idle)),
                ApiJsonContext.Default.HealthResponse, statusCode: alive ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/readyz", () =>
        {
            var problems = runtime.ReadinessProblems();
            return Results.Json(new ReadyResponse(problems.Count == 0, problems), ApiJsonContext.Default.ReadyResponse,
                statusCode: problems.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });

        var api = app.MapGroup("/api");
        api.MapGet("/status", () => Results.Json(ApiViews.Status(runtime), ApiJsonContext.Default.StatusResponse));
        api.MapGet("/queue", (int? loss) => Results.Json(ApiViews.Queue(runtime, recentLoss: Math.Clamp(loss ?? 20, 0, MaxListLimit)), ApiJsonContext.Default.QueueResponse));
        api.MapGet("/shadow", (string? asset, string? metric) => Results.Json(ApiViews.Shadow(runtime, asset, metric), ApiJsonContext.Default.ShadowResponse));
        api.MapGet("/anomalies", (int? limit) => Results.Json(ApiViews.Anomalies(runtime, Math.Clamp(limit ?? 50, 1, MaxListLimit)), ApiJsonContext.Default.ShadowResponse));
        api.MapGet("/quarantine", (string? reason, int? limit, long? after, string? order) =>
        {
            if (!TryReason(reason, out var r, out var error)) return error!;
            if (order is not (null or "oldest" or "newest")) return ApiResults.Error(StatusCodes.Status400BadRequest, $"order '{order}' is not 'oldest' or 'newest'");
            var view = ApiViews.Quarantine(runtime, r, Math.Clamp(limit ?? 100, 1, MaxListLimit), after ?? 0, order == "newest");
            return Results.Json(view, ApiJsonContext.Default.QuarantineResponse);
        });
        api.MapGet("/config", () =>
        {
            var node = JsonSerializer.SerializeToNode(runtime.Config, ConfigJsonContext.Default.EdgeTwinConfig);
            var document = new JsonObject
            {
                ["source"] = runtime.ConfigSource,
                ["hash"] = runtime.ConfigHash,
                ["config"] = ConfigRedactor.Redact(node),
            };
            return Results.Text(document.ToJsonString(ConfigJsonContext.Default.Options), "application/json; charset=utf-8");
        });

        var admin = app.MapGroup("/api").AddEndpointFilter(new BearerTokenFilter(token));
        admin.MapPost("/quarantine/replay", async (string? reason, int? limit, HttpContext http) =>
        {
            if (!TryReason(reason, out var r, out var error)) return error!;
            if (runtime.Pipeline is not { } pipeline) return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the pipeline is not running");
            try
            {
                var outcome = await pipeline.ReplayAsync(r, Math.Clamp(limit ?? 1000, 1, MaxReplayLimit)).WaitAsync(TimeSpan.FromSeconds(60), http.RequestAborted).ConfigureAwait(false);
                return Results.Json(new ReplayResponse(outcome.Replayed, outcome.Cured, outcome.Duplicates, outcome.Remaining), ApiJsonContext.Default.ReplayResponse);
            }
            catch (QueueFullException ex)
            {
                return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the queue is full, nothing was replayed: " + ex.Message);
            }
            catch (TimeoutException)
            {
                return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the pipeline did not take the replay within 60 s (is the queue full?); it still runs when the pipeline gets to it");
            }
            catch (StorageException ex)
            {
                return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the queue could not be written, nothing was replayed: " + ex.Message);
            }
            catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
            {
                return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the gateway is stopping");
            }
        });

        // Purge: quarantined readings an operator gives up on. Never silent: each purge is a loss-ledger record.
        admin.MapPost("/quarantine/purge", (string? reason, int? limit) =>
        {
            if (!TryReason(reason, out var r, out var error)) return error!;
            try
            {
                var purged = runtime.Queue.PurgeQuarantine(r, Math.Clamp(limit ?? MaxReplayLimit, 1, MaxReplayLimit), "by an operator through the API");
                return Results.Json(new PurgeResponse(purged, runtime.Queue.GetStats().QuarantineEntries), ApiJsonContext.Default.PurgeResponse);
            }
            catch (StorageException ex)
            {
                return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the queue could not be written, nothing was purged: " + ex.Message);
            }
        });

        CertificateEndpoints.Map(api, admin, runtime);

        app.MapGet("/", (HttpContext http) => page.ServePage(http, () => JsonSerializer.Serialize(ApiViews.PageState(runtime), ApiJsonContext.Default.PageStateResponse)));
        app.MapGet("/ui/{file}", (string file, HttpContext http) => page.Serve(http, file));
    }

    private static bool TryReason(string? text, out QuarantineReason? reason, out IResult? error)
    {
        reason = null;
        error = null;
        if (text is null) return true;
        if (QuarantineReasons.TryParse(text, out var r))
        {
            reason = r;
            return true;
        }
        var known = string.Join(", ", Enum.GetValues<QuarantineReason>().Select(QuarantineReasons.ToText));
        error = ApiResults.Error(StatusCodes.Status400BadRequest, $"unknown reason '{text}'; known: {known}");
        return false;
    }
}
