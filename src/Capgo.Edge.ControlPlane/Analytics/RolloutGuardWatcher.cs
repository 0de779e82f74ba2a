using System.Globalization;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>A guard that tripped: the rollout it paused and the figures that made it.</summary>
public sealed record GuardTrip(string AppId, string Channel, string Bundle, long Installs, long Failures, long Devices, long Generation);

/// <summary>
/// Checks every guarded rollout (<see cref="RolloutGuard"/>) against what the event consumer counted and
/// pauses the ones whose bundle fails too often, through the same atomic, announced change a person
/// makes (<see cref="AppChanges"/>), recorded in the channel's history with actor <c>auto-pause</c> and
/// the figures. Documents are read again only when their generation moves.
/// </summary>
public sealed partial class RolloutGuardWatcher
{
    public const string Actor = "auto-pause";

    private readonly IDatabase _db;
    private readonly RedisLayout _layout;
    private readonly AppChanges _changes;
    private readonly ReleaseStats _stats;
    private readonly ILogger _logger;
    private readonly Dictionary<string, (long Generation, List<Guarded> Guards)> _apps = new(StringComparer.Ordinal);

    public RolloutGuardWatcher(IConnectionMultiplexer redis, RedisLayout layout, AppChanges changes, ReleaseStats stats, ILogger<RolloutGuardWatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _layout = layout;
        _changes = changes;
        _stats = stats;
        _logger = logger;
    }

    private sealed record Guarded(string Channel, string RolloutId, string Bundle, RolloutGuard Guard);

    /// <summary>One pass over every app; returns the rollouts it paused.</summary>
    public async Task<IReadOnlyList<GuardTrip>> CheckAsync()
    {
        var ids = (await _db.SetMembersAsync(_layout.Apps).ConfigureAwait(false)).Select(static id => id.ToString()).ToList();
        var gens = ids.Select(id => _db.HashGetAsync(_layout.App(id), "gen")).ToList();
        var trips = new List<GuardTrip>();
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var gen = long.TryParse((string?)await gens[i].ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : 0;
            if (!_apps.TryGetValue(id, out var cached) || cached.Generation != gen)
            {
                cached = (gen, await GuardsAsync(id).ConfigureAwait(false));
                _apps[id] = cached;
            }

            foreach (var guarded in cached.Guards)
            {
                var (installs, failures, devices) = await _stats.RolloutHealthAsync(id, guarded.Bundle, guarded.Guard.Since).ConfigureAwait(false);
                if (guarded.Guard.Trips(installs, failures, devices) && await PauseAsync(id, guarded, installs, failures, devices).ConfigureAwait(false) is { } trip)
                {
                    trips.Add(trip);
                }
            }
        }

        foreach (var gone in _apps.Keys.Except(ids).ToList())
        {
            _apps.Remove(gone);
        }

        return trips;
    }

    private async Task<List<Guarded>> GuardsAsync(string appId)
    {
        var guards = new List<Guarded>();
        if (await _changes.ReadAsync(appId).ConfigureAwait(false) is not { } stored)
        {
            return guards;
        }

        foreach (var channel in (stored.Document["channels"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (channel["rollout"] is JsonObject rollout && (bool?)rollout["enabled"] != false && (bool?)rollout["paused"] != true
                && RolloutGuard.Of(rollout) is { } guard && (string?)rollout["id"] is { } rolloutId && (string?)rollout["bundle"] is { } bundle)
            {
                guards.Add(new Guarded((string?)channel["name"] ?? "", rolloutId, bundle, guard));
            }
        }

        return guards;
    }

    private async Task<GuardTrip?> PauseAsync(string appId, Guarded guarded, long installs, long failures, long devices)
    {
        var rate = 100.0 * failures / (installs + failures);
        var note = string.Create(
            CultureInfo.InvariantCulture,
            $"failure rate {rate:0.##} % ({failures} failures, {installs} installs, {devices} devices) above {guarded.Guard.MaxFailureRateBps / 100.0:0.##} % since {DateTimeOffset.FromUnixTimeMilliseconds(guarded.Guard.Since):u}");
        var change = await _changes.ApplyAsync(appId, new ChangeContext(Actor, "rollout pause", note), document =>
        {
            // Only the rollout that tripped, and only if a person has not changed it meanwhile.
            var channel = (document["channels"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["name"] == guarded.Channel);
            if (channel?["rollout"] is JsonObject rollout && (string?)rollout["id"] == guarded.RolloutId && (bool?)rollout["paused"] != true)
            {
                rollout["paused"] = true;
            }
        }).ConfigureAwait(false);
        if (!change.Changed)
        {
            return null;
        }

        LogPaused(_logger, appId, guarded.Channel, guarded.Bundle, note);
        return new GuardTrip(appId, guarded.Channel, guarded.Bundle, installs, failures, devices, change.After);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Paused the rollout of {Bundle} on {AppId}/{Channel}: {Note}")]
    private static partial void LogPaused(ILogger logger, string appId, string channel, string bundle, string note);
}
