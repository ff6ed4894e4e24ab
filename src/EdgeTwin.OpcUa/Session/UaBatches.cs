using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.Session;

/// <summary>Splits a per-node service call into calls within the server's operation limit.</summary>
internal static class UaBatches
{
    /// <summary>
    /// Calls <paramref name="call"/> for consecutive slices of at most <paramref name="limit"/> items (or
    /// <paramref name="fallback"/> when the server states no limit) and joins the results in order; a call
    /// that returns a different count than it was given fails with BadUnknownResponse.
    /// </summary>
    public static async Task<TResult[]> CallAsync<TItem, TResult>(
        IReadOnlyList<TItem> items, uint limit, int fallback, string what,
        Func<ReadOnlyMemory<TItem>, CancellationToken, Task<TResult[]>> call, CancellationToken cancellationToken)
    {
        var all = items as TItem[] ?? items.ToArray();
        var results = new TResult[all.Length];
        var batch = limit == 0 ? fallback : (int)Math.Min(limit, int.MaxValue);
        for (var start = 0; start < all.Length; start += batch)
        {
            var slice = all.AsMemory(start, Math.Min(batch, all.Length - start));
            var part = await call(slice, cancellationToken).ConfigureAwait(false);
            if (part.Length != slice.Length)
            {
                throw new UaServiceException(StatusCode.BadUnknownResponse, $"the server returned {part.Length} results for {slice.Length} {what}");
            }

            part.CopyTo(results, start);
        }

        return results;
    }
}
