using System.Text.Json.Nodes;
using StackExchange.Redis;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Stats;

/// <summary>One real redis-server holding the sample projection, and one edge in Redis mode.</summary>
public sealed class StatsFixture : IAsyncLifetime
{
    public const string StreamKey = "capgo:edge:events";

    public RedisServer Redis { get; private set; } = null!;
    public TestEdge Edge { get; private set; } = null!;
    public ConnectionMultiplexer Mux { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(Redis.ConnectionString);
        Mux = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        Edge = await TestEdge.StartAsync(StatsSamples.OnRedis(Redis.ConnectionString));
    }

    public async Task DisposeAsync()
    {
        await Edge.DisposeAsync();
        await Mux.DisposeAsync();
        await Redis.DisposeAsync();
    }

    /// <summary>The stream entries of one device, oldest first.</summary>
    public async Task<List<Dictionary<string, string>>> EntriesOfAsync(string deviceId)
    {
        var entries = await Mux.GetDatabase().StreamRangeAsync(StreamKey);
        return entries
            .Select(static e => e.Values.ToDictionary(static v => v.Name.ToString(), static v => v.Value.ToString()))
            .Where(e => e.TryGetValue("device_id", out var id) && string.Equals(id, deviceId, StringComparison.OrdinalIgnoreCase))
            .ToList();
    }
}

/// <summary>Plugin-shaped stats bodies (shared/vectors, plus <c>action</c> and <c>old_version_name</c>).</summary>
public static class StatsBodies
{
    public static string NewDevice() => Guid.NewGuid().ToString();

    public static JsonObject Event(string deviceId, string action = "set", string appId = StatsSamples.AppId) => new()
    {
        ["platform"] = "android",
        ["device_id"] = deviceId,
        ["app_id"] = appId,
        ["custom_id"] = "",
        ["version_build"] = "1.2.0",
        ["version_code"] = "120",
        ["version_os"] = "14",
        ["version_name"] = "1.4.0",
        ["old_version_name"] = "1.3.1",
        ["plugin_version"] = "8.51.23",
        ["is_emulator"] = false,
        ["is_prod"] = true,
        ["action"] = action,
        ["install_source"] = "com.android.vending",
        ["defaultChannel"] = "beta",
    };

    public static JsonArray Batch(params JsonObject[] events) => new(events);

    public static JsonObject With(this JsonObject body, string field, JsonNode? value)
    {
        body[field] = value;
        return body;
    }

    public static JsonObject Without(this JsonObject body, string field)
    {
        body.Remove(field);
        return body;
    }
}
