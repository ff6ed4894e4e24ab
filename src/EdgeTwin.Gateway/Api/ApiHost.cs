using System.Net;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Gateway.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// Puts the local API on the daemon's host: the same Generic Host that runs the pipeline, built by
/// <see cref="WebApplication.CreateSlimBuilder(WebApplicationOptions)"/>, so one SIGTERM stops Kestrel first and
/// then the sources, sinks and pipeline in order. Kestrel binds only $.api.address:$.api.port.
/// </summary>
public static class ApiHost
{
    public static WebApplicationBuilder CreateBuilder(EdgeTwinConfig config)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "edgetwin", Args = [] });
        // The daemon is configured by its own file only: an appsettings.json in the working directory, or
        // ASPNETCORE_URLS in the environment, must not open other ports or change logging behind its back.
        builder.Configuration.Sources.Clear();
        var api = config.Api;
        var address = api.Address == "localhost" ? IPAddress.Loopback : IPAddress.Parse(api.Address);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024;
            k.Limits.MaxConcurrentConnections = 256;
            k.Listen(address, api.Port);
        });
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("edgetwin", serviceVersion: GatewayRuntime.Version, serviceInstanceId: config.Gateway.Id))
            .WithMetrics(m => m
                .AddMeter(PipelineMetrics.MeterName, GatewayInstruments.MeterName, GatewayInstruments.ProcessMeterName)
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    /// <summary>Builds the host and maps the routes. The instruments live as long as the host.</summary>
    public static WebApplication Build(WebApplicationBuilder builder, GatewayRuntime runtime, ApiToken token, ILogger log)
    {
        // Owned by the container, so its meters are disposed with the host.
        builder.Services.AddSingleton(_ => new GatewayInstruments(runtime));
        var app = builder.Build();
        // Created now, so the instruments exist before the exporter's first collection.
        app.Services.GetRequiredService<GatewayInstruments>();
        ApiEndpoints.Map(app, runtime, token, new StatusPageAssets());
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var url in addresses) Log.ApiListening(log, url, token.Origin);
            runtime.ApiUrl = addresses.FirstOrDefault();
        });
        return app;
    }
}
