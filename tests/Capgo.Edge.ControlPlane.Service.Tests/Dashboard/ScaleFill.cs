using System.Globalization;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>
/// Fills Redis as a large deployment's would look to the dashboard: apps − 1 more
/// apps published (the sample document under other ids) and as many registry entries as asked
/// with the fields the event consumer writes, half of them of <see cref="DashboardStack.App"/>, every
/// tenth with a custom id, each counted active today on its bundle. Written with pipelined commands.
/// </summary>
internal static class ScaleFill
{
    private const int InFlight = 20_000;
    private static readonly string[] Bundles = ["1.3.1", "1.4.0", "1.5.0"];
    private static readonly string[] Platforms = ["android", "ios"];

    public static string OtherApp(int i) => $"com.scale.app{i:D4}";

    /// <summary>The device of index <paramref name="i"/> and its app (even: the dashboard's app; device 0 has custom id user-0).</summary>
    public static (string App, string Device) Device(int i, int apps) =>
        (i % 2 == 0 ? DashboardStack.App : OtherApp(1 + (i / 2 % Math.Max(1, apps - 1))), DashboardStack.Device(1_000_000 + i));

    public static string CustomId(int i) => "user-" + i.ToString(CultureInfo.InvariantCulture);

    public static string BundleOf(int i) => Bundles[i % Bundles.Length];

    public static async Task RunAsync(string redisConnection, int apps, int devices)
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection + ",syncTimeout=30000,asyncTimeout=30000");
        var layout = new RedisLayout();
        var store = new Capgo.Edge.ControlPlane.Stores.RedisAppStore(redis, layout);
        for (var a = 1; a < apps; a++)
        {
            var generation = await store.Publisher.PublishAsync(Documents.Sample(appId: OtherApp(a), withOverrides: false));
            if (a == apps - 1)
            {
                // The edges load the apps in the order they were announced: once they serve the last, the timings that follow run on quiet edges.
                Assert.True((await store.WaitForEdgesAsync(OtherApp(a), generation, TimeSpan.FromMinutes(5))).AllServing, "the edges to load every app");
            }
        }

        var db = redis.GetDatabase();
        var day = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 86_400_000;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var pending = new List<Task>(InFlight);
        var active = new Dictionary<(string App, string Bundle), List<RedisValue>>();
        for (var i = 0; i < devices; i++)
        {
            var (app, device) = Device(i, apps);
            var custom = i % 10 == 0 ? CustomId(i) : "";
            pending.Add(db.HashSetAsync(layout.Device(app, device),
            [
                new("last_seen", now), new("app_id", app), new("device_id", device), new("version_name", BundleOf(i)), new("last_event", "set"),
                new("channel", "production"), new("platform", Platforms[i % 2 == 0 ? i / 2 % 2 : 0]), new("version_build", "1.2.0"),
                new("plugin_version", "8.51.23"), new("custom_id", custom), new("default_channel", ""), new("is_emulator", "false"), new("is_prod", "true"),
            ]));
            if (custom.Length > 0)
            {
                pending.Add(db.SetAddAsync(layout.CustomId(app, custom), device));
            }

            var members = active.TryGetValue((app, BundleOf(i)), out var m) ? m : active[(app, BundleOf(i))] = [];
            members.Add(device);
            if (pending.Count >= InFlight)
            {
                Flush(db, layout, day, active, pending);
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        Flush(db, layout, day, active, pending);
        await Task.WhenAll(pending);
        Assert.True(await redis.GetServers()[0].DatabaseSizeAsync() >= devices, $"Redis to hold at least {devices} keys");
    }

    private static void Flush(IDatabase db, RedisLayout layout, long day, Dictionary<(string App, string Bundle), List<RedisValue>> active, List<Task> pending)
    {
        foreach (var ((app, bundle), members) in active)
        {
            pending.Add(db.HyperLogLogAddAsync(layout.ActiveDevices(app, bundle, day), [.. members]));
        }

        active.Clear();
    }
}
