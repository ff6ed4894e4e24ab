using System.Runtime.InteropServices;
using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Cli;

/// <summary>
/// SIGHUP (systemctl reload): re-reads the configuration file. An invalid file is logged with every error and
/// its JSON path, and the running configuration stays. A valid, changed one is handed to <c>run</c>, which
/// stops the host gracefully (sources stop, the pipeline commits what it took, sinks stop after confirming)
/// and starts it again on the same queue: an in-process restart through the one tested start and stop path,
/// so every setting (mappings, sinks, sources, queue limits) applies and nothing acknowledged is lost.
/// </summary>
public sealed class ReloadSignal : IDisposable
{
    private readonly string _source;
    private readonly PosixSignalRegistration? _registration;
    private readonly Lock _gate = new();
    private EdgeTwinConfig? _current;
    private Action? _restart;
    private bool _deferred;

    public ReloadSignal(string source)
    {
        _source = source;
        if (!OperatingSystem.IsWindows())
        {
            Systemd.DaemonSignals.HandleHangup();
            _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        }
    }

    /// <summary>The configuration to start next, once a reload was accepted; null otherwise.</summary>
    public EdgeTwinConfig? Pending { get; set; }

    /// <summary>How many hosts have been armed: 0 during the first start.</summary>
    public int Generation { get; private set; }

    /// <summary>Logs through the current host's logger.</summary>
    public Action<Action<ILogger>>? Log { get; set; }

    /// <summary>
    /// Call once the host has started: a restart requested while it starts would cancel its start half-way. A
    /// SIGHUP that came while no host was armed (starting, stopping, reloading) is acted on now.
    /// </summary>
    public void Arm(EdgeTwinConfig current, Action restart)
    {
        bool deferred;
        lock (_gate)
        {
            _current = current;
            _restart = restart;
            Generation++;
            deferred = _deferred;
            _deferred = false;
        }
        if (deferred) ThreadPool.QueueUserWorkItem(_ => Reload());
    }

    public void Disarm()
    {
        lock (_gate) _restart = null;
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // SIGHUP's default action would end the process.
        ThreadPool.QueueUserWorkItem(_ => Reload());
    }

    private void Reload()
    {
        lock (_gate)
        {
            if (_restart is null || Pending is not null)
            {
                // Starting, stopping or already reloading: the file is read again once the next host has started.
                _deferred = true;
                Log?.Invoke(l => Gateway.Log.ReloadDeferred(l));
                return;
            }
            if (_source == ConfigLoader.EmbeddedDemoName || !File.Exists(_source))
            {
                Log?.Invoke(l => Gateway.Log.ReloadIgnored(l, $"the configuration came from {_source}, not a file that can be re-read"));
                return;
            }
            EdgeTwinConfig next;
            try
            {
                next = ConfigLoader.LoadFile(_source);
            }
            catch (ConfigException ex)
            {
                Log?.Invoke(l => Gateway.Log.ReloadRejected(l, _source, ex.Message));
                return;
            }
            var hash = ConfigLoader.Hash(next);
            if (_current is not null && hash == ConfigLoader.Hash(_current))
            {
                Log?.Invoke(l => Gateway.Log.ReloadIgnored(l, "the file has not changed (hash " + hash + ")"));
                return;
            }
            Log?.Invoke(l => Gateway.Log.Reloading(l, _source, hash));
            Pending = next;
            _restart();
        }
    }

    public void Dispose() => _registration?.Dispose();
}
