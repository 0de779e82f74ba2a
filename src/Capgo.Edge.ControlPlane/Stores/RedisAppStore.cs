using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Stores;

/// <summary>
/// Apps in Redis (docs/redis-layout.md): written by <see cref="ProjectionPublisher"/>'s publish script,
/// which checks the generation, records the history and audit entries and announces the change in one step.
/// </summary>
public sealed class RedisAppStore : AppStore
{
    private readonly IDatabase _db;
    private readonly RedisLayout _layout;

    public RedisAppStore(IConnectionMultiplexer redis, RedisLayout layout, ProjectionPublisher? publisher = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _layout = layout;
        Publisher = publisher ?? new ProjectionPublisher(redis, layout);
    }

    /// <summary>The publisher on the same connection and layout (overrides, deletes, edges).</summary>
    public ProjectionPublisher Publisher { get; }

    public override async Task<(JsonObject Document, long Generation)?> ReadAsync(string appId)
    {
        var fields = await _db.HashGetAsync(_layout.App(appId), ["doc", "gen"]).ConfigureAwait(false);
        return fields[0].IsNull ? null : (JsonNode.Parse((string)fields[0]!)!.AsObject(), Generations.Parse(fields[1]));
    }

    public override Task<byte[]?> GetDocumentAsync(string appId) => Publisher.GetDocumentAsync(appId);

    public override async Task<IReadOnlyList<string>> ReadHistoryAsync(string appId, string channel)
    {
        var values = await _db.ListRangeAsync(_layout.ChannelHistory(appId, channel)).ConfigureAwait(false);
        return [.. values.Select(static v => (string)v!)];
    }

    public override Task<WaitResult> WaitForEdgesAsync(string appId, long generation, TimeSpan timeout, IProgress<WaitResult>? progress = null, CancellationToken cancellationToken = default) =>
        Publisher.WaitForEdgesAsync(appId, generation, overrides: false, timeout, progress, cancellationToken);

    internal override Task<long> WriteAsync(ReadOnlyMemory<byte> document, AppSnapshot snapshot, long? expectedGeneration, ChangeRecord? record) =>
        Publisher.PublishValidatedAsync(document, snapshot, expectedGeneration, record);
}
