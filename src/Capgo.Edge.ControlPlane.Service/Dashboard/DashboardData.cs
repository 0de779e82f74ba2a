using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.ControlPlane.Stores;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>A channel as the dashboard shows it: its bundle (null: builtin) and its rollout, if one runs.</summary>
internal sealed record ChannelView(string Name, string? Bundle, RolloutView? Rollout);

/// <summary>A channel's rollout: its bundle, share, state and guard (null: unguarded).</summary>
internal sealed record RolloutView(string Id, string Bundle, int PercentageBps, bool Paused, bool Enabled, RolloutGuard? Guard)
{
    public string State => !Enabled ? "disabled" : Paused ? "paused" : "running";
}

/// <summary>One app as the app page shows it.</summary>
internal sealed record AppView(string AppId, long Generation, IReadOnlyList<ChannelView> Channels, IReadOnlyList<HistoryEntry> History, IReadOnlyList<EdgeServing> Edges, IReadOnlyList<DayActiveDevices> Adoption);

/// <summary>A bundle's figures on a channel: per minute, over the chart's window, and since the guard's start.</summary>
internal sealed record BundleFigures(string Bundle, IReadOnlyList<MinuteCounts> Minutes, (long Installs, long Failures, long Devices)? SinceGuard)
{
    public long Installs => Minutes.Sum(static m => m.Installs);

    public long Failures => Minutes.Sum(static m => m.Failures);

    public double? FailureRate => Installs + Failures == 0 ? null : (double)Failures / (Installs + Failures);
}

/// <summary>A device's registry entry and what an edge would answer it now (or why that cannot be told).</summary>
internal sealed record DeviceView(DeviceEntry Entry, DeviceExplanation? Answer, string? Problem);

/// <summary>What the dashboard's pages read, all through the publisher library and the event consumer's counts.</summary>
internal sealed class DashboardData(RedisAppStore store, ChannelHistory history, ReleaseStats stats, DeviceRegistry devices, IConnectionMultiplexer redis, RedisLayout layout)
{
    /// <summary>How many minutes the rollout chart shows.</summary>
    public const int ChartMinutes = 30;

    /// <summary>How many days the adoption chart shows.</summary>
    public const int AdoptionDays = 14;

    /// <summary>How many changes the app page lists.</summary>
    public const int HistoryShown = 10;

    /// <summary>The app's channels and document generation; null when it is not published.</summary>
    public async Task<(long Generation, IReadOnlyList<ChannelView> Channels)?> ChannelsAsync(string appId) =>
        await ReadAsync(appId).ConfigureAwait(false) is { } app ? (app.Generation, app.Channels) : null;

    public async Task<AppView?> AppAsync(string appId)
    {
        if (await ReadAsync(appId).ConfigureAwait(false) is not { } app)
        {
            return null;
        }

        var histories = await Task.WhenAll(app.Channels.Select(c => history.ReadAsync(appId, c.Name))).ConfigureAwait(false);
        var changes = histories.SelectMany(static h => h).OrderByDescending(static h => h.Time).ThenByDescending(static h => h.Generation).Take(HistoryShown).ToList();
        var edges = await EdgeServingReader.ReadAsync(redis.GetDatabase(), layout, appId, store.Publisher.EdgeLiveness).ConfigureAwait(false);
        var adoption = await stats.ActiveDevicesPerDayAsync(appId, app.Bundles, AdoptionDays).ConfigureAwait(false);
        return new AppView(appId, app.Generation, app.Channels, changes, edges, adoption);
    }

    public Task<IReadOnlyList<EdgeServing>> EdgesAsync(string appId) =>
        EdgeServingReader.ReadAsync(redis.GetDatabase(), layout, appId, store.Publisher.EdgeLiveness);

    /// <summary>The figures of the channel's rollout bundle, or of its bundle when no rollout runs.</summary>
    public async Task<BundleFigures> FiguresAsync(string appId, ChannelView channel)
    {
        var bundle = channel.Rollout?.Bundle ?? channel.Bundle ?? ChannelEdits.Builtin;
        var minutes = await stats.PerMinuteAsync(appId, bundle, ChartMinutes).ConfigureAwait(false);
        var sinceGuard = channel.Rollout?.Guard is { } guard ? await stats.RolloutHealthAsync(appId, bundle, guard.Since).ConfigureAwait(false) : ((long, long, long)?)null;
        return new BundleFigures(bundle, minutes, sinceGuard);
    }

    /// <summary>
    /// The devices of the app with this device id, or else with this custom id (most recently seen
    /// first), each with what an edge would answer it against the app as published now.
    /// </summary>
    public async Task<IReadOnlyList<DeviceView>> DevicesAsync(string appId, string? deviceId, string? customId)
    {
        IReadOnlyList<DeviceEntry> entries = !string.IsNullOrEmpty(deviceId)
            ? await devices.FindAsync(appId, deviceId).ConfigureAwait(false) is { } one ? [one] : []
            : !string.IsNullOrEmpty(customId) ? await devices.FindByCustomIdAsync(appId, customId).ConfigureAwait(false) : [];
        if (entries.Count == 0)
        {
            return [];
        }

        var document = await store.GetDocumentAsync(appId).ConfigureAwait(false);
        var snapshot = document is null ? null : AppDocument.Parse(document, 0);
        return [.. entries.Select(e =>
        {
            var (answer, problem) = snapshot is null ? (null, $"app {appId} is not published") : DeviceExplanation.Of(snapshot, e);
            return new DeviceView(e, answer, problem);
        })];
    }

    /// <summary>The app's generation, channels, and every bundle it names (the bundle list, channels and rollouts, and builtin).</summary>
    private async Task<(long Generation, IReadOnlyList<ChannelView> Channels, IReadOnlyCollection<string> Bundles)?> ReadAsync(string appId)
    {
        if (await store.ReadAsync(appId).ConfigureAwait(false) is not { } stored)
        {
            return null;
        }

        var channels = (stored.Document["channels"] as JsonArray ?? []).OfType<JsonObject>().Select(ToView).ToList();
        var bundles = new SortedSet<string>(StringComparer.Ordinal) { ChannelEdits.Builtin };
        bundles.UnionWith((stored.Document["bundles"] as JsonArray ?? []).OfType<JsonObject>().Select(static b => (string?)b["name"]).OfType<string>());
        bundles.UnionWith(channels.SelectMany(static c => new[] { c.Bundle, c.Rollout?.Bundle }).OfType<string>());
        return (stored.Generation, channels, bundles);
    }

    private static ChannelView ToView(JsonObject channel)
    {
        RolloutView? rollout = null;
        if (channel["rollout"] is JsonObject r)
        {
            rollout = new RolloutView(
                (string?)r["id"] ?? "",
                (string?)r["bundle"] ?? "",
                (int?)r["percentage_bps"] ?? 0,
                (bool?)r["paused"] == true,
                (bool?)r["enabled"] != false,
                RolloutGuard.Of(r));
        }

        return new ChannelView((string?)channel["name"] ?? "", (string?)channel["bundle"], rollout);
    }
}
