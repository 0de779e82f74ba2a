using System.Globalization;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service.Tests.Analytics;

/// <summary>Stream entries shaped as edges write them (docs/events.md), for the tests that fill the stream directly.</summary>
internal static class StreamEvents
{
    private static long _seq;

    public static NameValueEntry[] Stats(string appId, string deviceId, string action, string bundle, long? ts = null, string? customId = null) =>
    [
        new("v", "2"), new("kind", "stats"), new("ts", (ts ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ToString(CultureInfo.InvariantCulture)),
        new("edge", "test-edge"), new("instance", "0123456789ab"), new("seq", Interlocked.Increment(ref _seq)),
        new("app_id", appId), new("device_id", deviceId), new("platform", "android"), new("action", action),
        new("version_name", bundle), new("version_build", "1.2.0"), new("plugin_version", "8.51.23"), new("is_emulator", "false"), new("is_prod", "true"),
        .. customId is null ? Array.Empty<NameValueEntry>() : [new("custom_id", customId)],
    ];

    public static NameValueEntry[] Check(string appId, string deviceId, string outcome, string bundle, string channel) =>
    [
        new("v", "2"), new("kind", "check"), new("ts", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
        new("edge", "test-edge"), new("instance", "0123456789ab"), new("seq", Interlocked.Increment(ref _seq)),
        new("app_id", appId), new("device_id", deviceId), new("platform", "ios"), new("version_name", bundle),
        new("version_build", "1.2.0"), new("plugin_version", "8.51.23"), new("channel", channel), new("outcome", outcome),
    ];

    /// <summary>Appends entries in pipelined batches.</summary>
    public static async Task AddAsync(IDatabase db, RedisLayout layout, IEnumerable<NameValueEntry[]> entries)
    {
        var pending = new List<Task>();
        foreach (var entry in entries)
        {
            pending.Add(db.StreamAddAsync(layout.Events, entry));
            if (pending.Count == 1000)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    public static string Device(int i) => new Guid(i, 0x1234, 0x4567, [0x89, 0xab, 0, 0, 0, 0, 0, 1]).ToString("D");
}
