using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane;

/// <summary>One live edge as it serves one app: the generation it acknowledged (0: none) and its last heartbeat.</summary>
public sealed record EdgeServing(string Edge, long Generation, DateTimeOffset LastHeartbeat);

/// <summary>Which live edges serve an app, at which generation, and when each last beat (docs/redis-layout.md: <c>edges</c>, <c>edge:&lt;name&gt;:apps</c>).</summary>
public static class EdgeServingReader
{
    /// <summary>Every edge whose heartbeat is newer than <paramref name="liveness"/>, by name.</summary>
    public static async Task<IReadOnlyList<EdgeServing>> ReadAsync(IDatabase db, RedisLayout layout, string appId, TimeSpan liveness, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(layout);
        var since = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds() - (long)liveness.TotalMilliseconds;
        var edges = await db.SortedSetRangeByScoreWithScoresAsync(layout.Edges, since, double.PositiveInfinity).ConfigureAwait(false);
        var acks = edges.Select(e => db.HashGetAsync(layout.EdgeApps(e.Element.ToString()), appId)).ToList();
        var result = new List<EdgeServing>(edges.Length);
        for (var i = 0; i < edges.Length; i++)
        {
            var (generation, _) = Generations.ParseAck(await acks[i].ConfigureAwait(false));
            result.Add(new EdgeServing(edges[i].Element.ToString(), generation, DateTimeOffset.FromUnixTimeMilliseconds((long)edges[i].Score)));
        }

        return [.. result.OrderBy(static e => e.Edge, StringComparer.Ordinal)];
    }
}
