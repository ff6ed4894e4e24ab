using EdgeTwin.OpcUa.Client;

namespace EdgeTwin.Connectors.OpcUa;

// The server's data types: read once per session (node ids carry its namespace indexes), before the first values of
// that session are converted, so its structures decode and its enumerations have names.
public sealed partial class OpcUaSource
{
    private readonly SemaphoreSlim _typesLock = new(1, 1);
    private StructureTypes _types = StructureTypes.Empty;
    private int _typesSession = -1;

    /// <summary>The data type definitions of the current session (empty before the first).</summary>
    internal StructureTypes Types => Volatile.Read(ref _types);

    private async ValueTask EnsureTypesAsync(UaClient client, CancellationToken cancellationToken)
    {
        var sessions = client.SessionsCreated + client.SessionsResumed;
        if (Volatile.Read(ref _typesSession) == sessions || client.Session is null) return;
        await _typesLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_typesSession == sessions || client.Session is not { } session) return;
            try
            {
                var (types, dataTypes) = await StructureTypesLoader.LoadAsync(session, [.. _nodes.Select(n => n.Id)], cancellationToken).ConfigureAwait(false);
                foreach (var node in _nodes)
                {
                    node.EnumNames = dataTypes.TryGetValue(node.Id, out var dataType) ? types.EnumNames(dataType) : null;
                }
                Volatile.Write(ref _types, types);
                Log.TypesLoaded(_log, Name, _config.Url, types.Count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.TypesFailed(_log, Name, _config.Url, ex.Message);
            }
            Volatile.Write(ref _typesSession, sessions);
        }
        finally
        {
            _typesLock.Release();
        }
    }
}
