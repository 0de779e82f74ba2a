using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.Server.Tests.Stats;

/// <summary>
/// The shipped sample app and a cancelled copy of it, and the edge the stats, shutdown, fuzz and
/// Redis channel tests start on them.
/// </summary>
public static class StatsSamples
{
    public const string AppId = "com.demo.app";
    public const string InactiveAppId = "com.demo.cancelled";

    /// <summary>
    /// Redis mode: the projection and the event stream both live in <paramref name="redisConnection"/>.
    /// Start returns once both samples are loaded; <paramref name="args"/> may rename the edge.
    /// </summary>
    public static TestEdgeOptions OnRedis(string redisConnection, params string[] args) => new()
    {
        Redis = redisConnection,
        Name = "stats-edge",
        Args = args,
        WaitForApps = [AppId, InactiveAppId],
    };

    /// <summary>Standalone mode from a folder of app documents: no control plane for events.</summary>
    public static TestEdgeOptions Standalone(string directory) => TestEdgeOptions.Standalone(directory) with { WaitForApps = [AppId] };

    /// <summary>Path of the shipped sample document, found from the test's folder up to the repository.</summary>
    public static string SamplePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "projection", "com.demo.app.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("samples/projection/com.demo.app.json not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Publishes the sample app and a cancelled copy of it under another id.</summary>
    public static async Task PublishSamplesAsync(string redisConnection)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        var publisher = new ProjectionPublisher(mux, new RedisLayout());
        var sample = await File.ReadAllBytesAsync(SamplePath());
        await publisher.PublishAsync(sample);
        var cancelled = JsonNode.Parse(sample)!.AsObject();
        cancelled["app_id"] = InactiveAppId;
        cancelled["status"] = "cancelled";
        await publisher.PublishAsync(Encoding.UTF8.GetBytes(cancelled.ToJsonString()));
    }
}
