using Capgo.Edge.ControlPlane;
using Capgo.Edge.Redis;
using Capgo.Edge.Core;
using StackExchange.Redis;

namespace Capgo.Edge.Cli;

/// <summary>
/// <c>capgo-edge</c>: publishes projections for CI/CD and operators. The Redis connection string
/// comes from <c>--redis</c> or, to keep passwords out of shell history, <c>CAPGO_EDGE_REDIS</c>.
/// </summary>
internal static class CliApp
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int Refused = 2;
    public const int Lagging = 3;
    public const int Unreachable = 4;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync($"capgo-edge: {ex.Message}\n\n{CliArguments.Help}").ConfigureAwait(false);
            return Usage;
        }

        if (options.Command is null or "help" || options.Flags.Contains("help"))
        {
            await output.WriteLineAsync(CliArguments.Help).ConfigureAwait(false);
            return options.Command is null ? Usage : Ok;
        }

        var connection = options.Get("redis") ?? Environment.GetEnvironmentVariable("CAPGO_EDGE_REDIS");
        if (string.IsNullOrWhiteSpace(connection))
        {
            await error.WriteLineAsync("capgo-edge: no Redis connection: pass --redis or set CAPGO_EDGE_REDIS").ConfigureAwait(false);
            return Usage;
        }

        try
        {
            // Validate documents before connecting: a bad file must not need Redis to be reported.
            var documents = options.Command == "publish" ? await ReadDocumentsAsync(options, error).ConfigureAwait(false) : null;
            if (options.Command == "publish" && documents is null)
            {
                return Refused;
            }

            var config = ConfigurationOptions.Parse(connection);
            config.AbortOnConnectFail = true;
            config.ConnectTimeout = 5000;
            using var redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
            var publisher = new ProjectionPublisher(redis, new RedisLayout(options.Get("prefix") ?? RedisLayout.DefaultPrefix));
            return options.Command switch
            {
                "publish" => await PublishAsync(publisher, documents!, options, output, error).ConfigureAwait(false),
                "override" => await OverrideAsync(publisher, options, output, error).ConfigureAwait(false),
                "inspect" => await InspectAsync(publisher, options, output, error).ConfigureAwait(false),
                "delete" => await DeleteAsync(publisher, options, output).ConfigureAwait(false),
                "edges" => await EdgesAsync(publisher, output).ConfigureAwait(false),
                _ => throw new FormatException($"unknown command '{options.Command}'"),
            };
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync($"capgo-edge: {ex.Message}").ConfigureAwait(false);
            return Usage;
        }
        catch (PublishException ex)
        {
            await error.WriteLineAsync($"capgo-edge: refused: {ex.Message}").ConfigureAwait(false);
            return Refused;
        }
        catch (RedisConnectionException ex)
        {
            await error.WriteLineAsync($"capgo-edge: Redis unreachable: {ex.Message}").ConfigureAwait(false);
            return Unreachable;
        }
    }

    private static async Task<List<(string File, byte[] Bytes)>?> ReadDocumentsAsync(Options options, TextWriter error)
    {
        if (options.Positional.Count == 0)
        {
            throw new FormatException("publish needs at least one FILE");
        }

        var documents = new List<(string, byte[])>();
        var failed = false;
        foreach (var file in options.Positional)
        {
            try
            {
                var bytes = await File.ReadAllBytesAsync(file).ConfigureAwait(false);
                AppDocument.Parse(bytes, 0);
                documents.Add((file, bytes));
            }
            catch (ProjectionException ex)
            {
                failed = true;
                await error.WriteLineAsync($"capgo-edge: {file}: {ex.Field}: {ex.Problem}").ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                failed = true;
                await error.WriteLineAsync($"capgo-edge: {file}: {ex.Message}").ConfigureAwait(false);
            }
        }

        if (failed)
        {
            await error.WriteLineAsync("capgo-edge: nothing was published").ConfigureAwait(false);
            return null;
        }

        return documents;
    }

    private static async Task<int> PublishAsync(ProjectionPublisher publisher, List<(string File, byte[] Bytes)> documents, Options options, TextWriter output, TextWriter error)
    {
        var result = Ok;
        foreach (var (file, bytes) in documents)
        {
            var generation = await publisher.PublishAsync(bytes).ConfigureAwait(false);
            var appId = AppDocument.Parse(bytes, 0).AppId;
            await output.WriteLineAsync($"published {appId} from {file} at generation {generation}").ConfigureAwait(false);
            result = Math.Max(result, await WaitAsync(publisher, appId, generation, overrides: false, options, output, error).ConfigureAwait(false));
        }

        return result;
    }

    private static async Task<int> OverrideAsync(ProjectionPublisher publisher, Options options, TextWriter output, TextWriter error)
    {
        var action = options.Positional.Count > 0 ? options.Positional[0] : throw new FormatException("override needs 'set' or 'remove'");
        var app = options.Require("app");
        var device = options.Require("device");
        long generation;
        switch (action)
        {
            case "set":
                var channel = options.Require("channel");
                generation = await publisher.SetOverrideAsync(app, device, channel).ConfigureAwait(false);
                await output.WriteLineAsync($"pinned {device} of {app} to {channel} (overrides generation {generation})").ConfigureAwait(false);
                break;
            case "remove":
                generation = await publisher.RemoveOverrideAsync(app, device).ConfigureAwait(false);
                await output.WriteLineAsync($"removed the pin of {device} in {app} (overrides generation {generation})").ConfigureAwait(false);
                break;
            default:
                throw new FormatException($"unknown override action '{action}' (set or remove)");
        }

        return await WaitAsync(publisher, app, generation, overrides: true, options, output, error).ConfigureAwait(false);
    }

    private static async Task<int> WaitAsync(ProjectionPublisher publisher, string appId, long generation, bool overrides, Options options, TextWriter output, TextWriter error)
    {
        if (!options.Flags.Contains("wait"))
        {
            return Ok;
        }

        var timeout = options.Get("timeout") is { } t ? CliArguments.ParseDuration(t) : TimeSpan.FromSeconds(10);
        var started = TimeProvider.System.GetTimestamp();
        var result = await publisher.WaitForEdgesAsync(appId, generation, overrides, timeout).ConfigureAwait(false);
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        if (result.AllServing)
        {
            await output.WriteLineAsync($"served by all {result.Serving.Count} live edges after {elapsed.TotalMilliseconds:F0} ms").ConfigureAwait(false);
            return Ok;
        }

        await error.WriteLineAsync(
            $"capgo-edge: after {timeout.TotalSeconds:F1} s, {result.Lagging.Count} of {result.Serving.Count + result.Lagging.Count} live edges do not serve generation {generation} of {appId}: {string.Join(", ", result.Lagging)}").ConfigureAwait(false);
        return Lagging;
    }

    private static async Task<int> InspectAsync(ProjectionPublisher publisher, Options options, TextWriter output, TextWriter error)
    {
        var app = options.Require("app");
        var info = await publisher.InspectAsync(app).ConfigureAwait(false);
        if (info is null)
        {
            await error.WriteLineAsync($"capgo-edge: app {app} is not published").ConfigureAwait(false);
            return Refused;
        }

        await output.WriteLineAsync($"""
            app:        {info.AppId}
            status:     {info.Status}
            generation: {info.Generation}
            overrides:  {info.Overrides} (generation {info.OverridesGeneration})
            bundles:    {info.Bundles}
            channels:   {string.Join(", ", info.Channels)}
            edges:      {info.Edges.Count} live
            """).ConfigureAwait(false);
        foreach (var edge in info.Edges)
        {
            var state = edge.Generation >= info.Generation && edge.OverridesGeneration >= info.OverridesGeneration ? "current" : "behind";
            await output.WriteLineAsync($"  {edge.Edge}: generation {edge.Generation}, overrides {edge.OverridesGeneration} ({state})").ConfigureAwait(false);
        }

        return Ok;
    }

    private static async Task<int> DeleteAsync(ProjectionPublisher publisher, Options options, TextWriter output)
    {
        var app = options.Require("app");
        var generation = await publisher.DeleteAsync(app).ConfigureAwait(false);
        await output.WriteLineAsync($"deleted {app} (generation {generation})").ConfigureAwait(false);
        return Ok;
    }

    private static async Task<int> EdgesAsync(ProjectionPublisher publisher, TextWriter output)
    {
        var edges = await publisher.LiveEdgesAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"{edges.Count} live edges").ConfigureAwait(false);
        foreach (var edge in edges)
        {
            await output.WriteLineAsync("  " + edge).ConfigureAwait(false);
        }

        return Ok;
    }
}
