using System.Globalization;
using Capgo.Edge.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// What this edge tells publishers about itself: a heartbeat in <c>P edges</c> and, per app, the
/// generations it serves in <c>P edge:&lt;name&gt;:apps</c> (what <c>--wait</c> reads). Every write is
/// fire and forget: it never blocks the sync, and a lost one is repaired by the next.
/// </summary>
internal sealed class EdgePresence
{
    private readonly RedisLayout _layout;
    private readonly EdgeIdentity _identity;
    private readonly SyncStatus _status;
    private readonly SyncOptions _options;
    private readonly TimeProvider _time;

    public EdgePresence(RedisLayout layout, EdgeIdentity identity, SyncStatus status, IOptions<SyncOptions> options, TimeProvider time)
    {
        _layout = layout;
        _identity = identity;
        _status = status;
        _options = options.Value;
        _time = time;
    }

    /// <summary>Heartbeats every <see cref="SyncOptions.HeartbeatInterval"/> until stopped.</summary>
    public ITimer StartHeartbeat(IDatabase db, CancellationToken stoppingToken) =>
        _time.CreateTimer(
            _ =>
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                try
                {
                    db.SortedSetAdd(_layout.Edges, _identity.Name, _time.GetUtcNow().ToUnixTimeMilliseconds(), CommandFlags.FireAndForget);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Redis is away (or the connection is being disposed at shutdown): a missed
                    // heartbeat is harmless and the next one follows. A timer callback must not
                    // throw: that would end the process.
                }
            },
            null,
            TimeSpan.Zero,
            _options.HeartbeatInterval);

    /// <summary>Leaves the live set at once; the acknowledgements are left to the heartbeat's expiry.</summary>
    public Task LeaveAsync(IDatabase db) =>
        db.SortedSetRemoveAsync(_layout.Edges, _identity.Name, CommandFlags.FireAndForget);

    /// <summary>Reports serving this snapshot of the app (document and overrides generations).</summary>
    public void Acknowledge(IDatabase db, AppSnapshot app)
    {
        _status.Synced();
        var value = app.GenerationText + " " + app.Overrides.Generation.ToString(CultureInfo.InvariantCulture);
        db.HashSet(_layout.EdgeApps(_identity.Name), app.AppId, value, flags: CommandFlags.FireAndForget);
    }

    /// <summary>Reports no longer serving the app.</summary>
    public void Forget(IDatabase db, string appId) =>
        db.HashDelete(_layout.EdgeApps(_identity.Name), appId, CommandFlags.FireAndForget);
}
