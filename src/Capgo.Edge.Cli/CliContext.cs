using System.CommandLine;
using Capgo.Edge.Cli.Commands;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.ControlPlane.Stores;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.Cli;

/// <summary>What every command's action needs: the writers it reports on, the shared options, and the store.</summary>
/// <param name="output">Standard output: results.</param>
/// <param name="error">Standard error: refusals and progress.</param>
/// <param name="interactive">Output goes to a terminal: long waits show progress.</param>
internal sealed class CliContext(TextWriter output, TextWriter error, bool interactive = false)
{
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;
    public bool Interactive { get; } = interactive;
    public CliOptions Options { get; } = new();

    /// <summary>The options the release commands share (<c>--json</c>, <c>--dry-run</c>, <c>--if-generation</c>, <c>--actor</c>).</summary>
    public ReleaseOptions Release { get; } = new();

    /// <summary>Writes one <c>capgo-edge: …</c> line on the error writer.</summary>
    public Task FailAsync(string message) => Error.WriteLineAsync($"capgo-edge: {message}");

    /// <summary>
    /// Connects to Redis (<c>--redis</c>, else <c>CAPGO_EDGE_REDIS</c>) and runs <paramref name="body"/>
    /// with a publisher on the <c>--prefix</c> layout; without a connection string, or with <c>--dir</c>, a usage error.
    /// </summary>
    public Task<int> WithPublisherAsync(ParseResult parsed, Func<ProjectionPublisher, Task<int>> body) =>
        WithRedisAsync(parsed, (redis, layout) => body(new ProjectionPublisher(redis, layout)));

    /// <summary>
    /// Runs <paramref name="body"/> with the release operations on the projection folder of <c>--dir</c>,
    /// the release API of <c>--api</c>, else on Redis.
    /// </summary>
    public async Task<int> WithReleasesAsync(ParseResult parsed, Func<ReleaseStore, Task<int>> body)
    {
        var stores = new[] { Options.Dir, Options.Api, Options.Redis }.Count(o => CliOptions.Given(parsed, o));
        if (stores > 1)
        {
            await FailAsync("--dir, --api and --redis name different stores; pass one").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (parsed.GetValue(Options.Api) is { } api)
        {
            var key = parsed.GetValue(Options.ApiKey) ?? Environment.GetEnvironmentVariable(CliOptions.ApiKeyVariable);
            if (string.IsNullOrWhiteSpace(key))
            {
                await FailAsync($"no API key: pass --api-key or set {CliOptions.ApiKeyVariable}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            if (!Uri.TryCreate(api.EndsWith('/') ? api : api + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
            {
                await FailAsync($"--api: '{api}' is not an http(s) URL").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(90) };
            return await body(ReleaseStore.Create(new ApiAppStore(http, key))).ConfigureAwait(false);
        }

        if (parsed.GetValue(Options.Dir) is { } directory)
        {
            return await body(ReleaseStore.Create(new FolderAppStore(directory))).ConfigureAwait(false);
        }

        return await ConnectAsync(parsed, (redis, layout) => body(ReleaseStore.Create(new RedisAppStore(redis, layout)))).ConfigureAwait(false);
    }

    /// <summary>Connects to Redis and runs <paramref name="body"/>; with <c>--dir</c>, a usage error (the command needs Redis).</summary>
    public async Task<int> WithRedisAsync(ParseResult parsed, Func<IConnectionMultiplexer, RedisLayout, Task<int>> body)
    {
        if (CliOptions.Given(parsed, Options.Dir) || CliOptions.Given(parsed, Options.Api))
        {
            await FailAsync($"'{parsed.CommandResult.Command.Name}' works on Redis only (not with --dir or --api)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await ConnectAsync(parsed, body).ConfigureAwait(false);
    }

    private async Task<int> ConnectAsync(ParseResult parsed, Func<IConnectionMultiplexer, RedisLayout, Task<int>> body)
    {
        var connection = parsed.GetValue(Options.Redis) ?? Environment.GetEnvironmentVariable(CliOptions.RedisVariable);
        if (string.IsNullOrWhiteSpace(connection))
        {
            await FailAsync($"no Redis connection: pass --redis or set {CliOptions.RedisVariable}, or --dir for a projection folder").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var config = ConfigurationOptions.Parse(connection);
        config.AbortOnConnectFail = true;
        config.ConnectTimeout = 5000;
        var shards = parsed.GetValue(Options.EventShards);
        if (shards is < 1 or > RedisLayout.MaxEventShards)
        {
            await FailAsync($"--event-shards must be 1 to {RedisLayout.MaxEventShards}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        var layout = new RedisLayout(parsed.GetValue(Options.Prefix) ?? RedisLayout.DefaultPrefix, shards);
        if (ClusterLayoutGuard.Refusal(redis, layout) is { } refusal)
        {
            await FailAsync(refusal.Replace("Sync:Prefix", "--prefix", StringComparison.Ordinal)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await body(redis, layout).ConfigureAwait(false);
    }
}
