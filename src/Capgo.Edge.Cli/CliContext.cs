using System.CommandLine;
using Capgo.Edge.Cli.Commands;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.Cli;

/// <summary>What every command's action needs: the writers it reports on, the shared options, and Redis.</summary>
internal sealed class CliContext(TextWriter output, TextWriter error)
{
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;
    public CliOptions Options { get; } = new();

    /// <summary>The options the release commands share (<c>--json</c>, <c>--dry-run</c>, <c>--if-generation</c>, <c>--actor</c>).</summary>
    public ReleaseOptions Release { get; } = new();

    /// <summary>Writes one <c>capgo-edge: …</c> line on the error writer.</summary>
    public Task FailAsync(string message) => Error.WriteLineAsync($"capgo-edge: {message}");

    /// <summary>
    /// Connects to Redis (<c>--redis</c>, else <c>CAPGO_EDGE_REDIS</c>) and runs <paramref name="body"/>
    /// with a publisher on the <c>--prefix</c> layout; without a connection string, a usage error.
    /// </summary>
    public Task<int> WithPublisherAsync(ParseResult parsed, Func<ProjectionPublisher, Task<int>> body) =>
        WithRedisAsync(parsed, (redis, layout) => body(new ProjectionPublisher(redis, layout)));

    /// <summary>Like <see cref="WithPublisherAsync"/>, with the release operations and channel history on the same connection.</summary>
    public Task<int> WithReleasesAsync(ParseResult parsed, Func<ReleaseStore, Task<int>> body) =>
        WithRedisAsync(parsed, (redis, layout) => body(ReleaseStore.Create(redis, layout)));

    private async Task<int> WithRedisAsync(ParseResult parsed, Func<ConnectionMultiplexer, RedisLayout, Task<int>> body)
    {
        var connection = parsed.GetValue(Options.Redis) ?? Environment.GetEnvironmentVariable(CliOptions.RedisVariable);
        if (string.IsNullOrWhiteSpace(connection))
        {
            await FailAsync($"no Redis connection: pass --redis or set {CliOptions.RedisVariable}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var config = ConfigurationOptions.Parse(connection);
        config.AbortOnConnectFail = true;
        config.ConnectTimeout = 5000;
        using var redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        return await body(redis, new RedisLayout(parsed.GetValue(Options.Prefix) ?? RedisLayout.DefaultPrefix)).ConfigureAwait(false);
    }
}
