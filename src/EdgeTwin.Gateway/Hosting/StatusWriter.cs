using System.Text.Json;
using EdgeTwin.Gateway.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Hosting;

/// <summary>
/// Writes <c>status.json</c> to the state directory every two seconds (and once more at stop), atomically
/// (temp file + rename), so <c>edgetwin queue stats</c> can report on a running daemon without touching its
/// database.
/// </summary>
public sealed class StatusWriter : BackgroundService
{
    public const string FileName = "status.json";
    private readonly GatewayRuntime _runtime;
    private readonly ILogger _log;

    public StatusWriter(GatewayRuntime runtime, ILogger<StatusWriter> log)
    {
        _runtime = runtime;
        _log = log;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), _runtime.Time);
        do
        {
            Write();
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Write();
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Write()
    {
        try
        {
            var path = Path.Combine(_runtime.Config.Gateway.StateDirectory, FileName);
            var tmp = path + ".tmp";
            var snapshot = _runtime.Snapshot();
            _runtime.LastStatus = snapshot;
            File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(snapshot, StatusJsonContext.Default.GatewayStatus));
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StatusNotWritten(_log, ex);
        }
    }
}
