using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Tests.Releases;

/// <summary>Rollout, promote and rollback against a real Redis: each change lands with its history and audit entries.</summary>
[Collection(SharedPublisherRedis.Name)]
public sealed class ReleaseOperationsTests(PublisherRedis redis) : IAsyncLifetime
{
    private static readonly ChangeContext Pipeline = new("ci@runner", "rollout");

    private readonly PublisherLibrary _library = redis.Publisher();

    private AppChanges _changes => _library.Changes;

    private ChannelHistory _history => _library.History;

    private ReleaseOperations _releases => _library.Releases;

    public async Task InitializeAsync()
    {
        // The sample without its running rollout on production.
        var document = JsonNode.Parse(Documents.Sample(withOverrides: false))!.AsObject();
        document["channels"]!.AsArray().Single(static c => (string)c!["name"]! == "production")!.AsObject().Remove("rollout");
        await _library.Publisher.PublishAsync(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString()));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string?> BundleOf(string channel) =>
        (string?)(await _changes.ReadAsync(Documents.AppId))!.Value.Document["channels"]!.AsArray()
            .Single(c => (string)c!["name"]! == channel)!["bundle"];

    [Fact]
    public async Task Rollout_promote_and_rollback_are_recorded_and_rollback_returns_to_the_previous_bundle()
    {
        var start = await _releases.ApplyAsync(Documents.AppId, Pipeline, static d => RolloutEdits.Start(d, "production", "1.5.0", 1000));
        var raise = await _releases.ApplyAsync(Documents.AppId, Pipeline with { Operation = "rollout set" }, static d => RolloutEdits.SetPercentage(d, "production", 5000));
        var promote = await _releases.ApplyAsync(Documents.AppId, Pipeline with { Operation = "rollout promote" }, static d => RolloutEdits.Promote(d, "production"));
        Assert.Equal("1.5.0", await BundleOf("production"));

        var rollback = await _releases.RollbackAsync(Documents.AppId, "production", Pipeline with { Operation = "rollback" });
        Assert.Equal("1.4.0", await BundleOf("production"));

        var entries = await _history.ReadAsync(Documents.AppId, "production");
        Assert.Equal([rollback.After, promote.After, raise.After, start.After], entries.Select(static e => e.Generation));
        Assert.Equal(["rollback", "rollout promote", "rollout set", "rollout"], entries.Select(static e => e.Operation));
        Assert.All(entries, static e => Assert.Equal("ci@runner", e.Actor));
        Assert.Equal(("1.4.0", "1.5.0"), (entries[1].BundleBefore, entries[1].BundleAfter));
        Assert.Equal(5000, (int)entries[2].Rollout!["percentage_bps"]!);
        Assert.Null(entries[0].Rollout);

        // Other channels did not change, so they have no history.
        Assert.Empty(await _history.ReadAsync(Documents.AppId, "beta"));

        // Every change is in the audit stream with its generation.
        var audit = await redis.Mux.GetDatabase().StreamRangeAsync(_library.Layout.Audit);
        Assert.Equal(
            [start.After, raise.After, promote.After, rollback.After],
            audit.Select(static a => (long)JsonNode.Parse((string)a["entry"]!)!["generation"]!));
    }

    [Fact]
    public async Task Rollback_to_a_named_bundle_ends_the_rollout_and_without_history_is_refused()
    {
        var error = await Assert.ThrowsAsync<PublishException>(() => _releases.RollbackAsync(Documents.AppId, "beta", Pipeline));
        Assert.Contains("--to", error.Message, StringComparison.Ordinal);

        await _releases.ApplyAsync(Documents.AppId, Pipeline, static d => RolloutEdits.Start(d, "beta", "1.6.0-beta.1", 2000));
        await _releases.RollbackAsync(Documents.AppId, "beta", Pipeline with { Operation = "rollback" }, to: "1.3.1");

        var beta = (await _changes.ReadAsync(Documents.AppId))!.Value.Document["channels"]!.AsArray().Single(static c => (string)c!["name"]! == "beta")!;
        Assert.Equal("1.3.1", (string?)beta["bundle"]);
        Assert.Null(beta["rollout"]);
    }

    [Fact]
    public async Task A_whole_document_publish_is_recorded_so_a_rollback_undoes_it()
    {
        var publish = new ChangeContext("ops@laptop", "publish");
        var first = await _changes.ReplaceAsync(Documents.Sample(betaBundle: "1.5.0", withOverrides: false), publish);

        var entries = await _history.ReadAsync(Documents.AppId, "beta");
        Assert.Equal(first, entries[0].Generation);
        Assert.Equal(("1.6.0-beta.1", "1.5.0", "ops@laptop"), (entries[0].BundleBefore, entries[0].BundleAfter, entries[0].Actor));
        Assert.Empty(await _history.ReadAsync(Documents.AppId, "development"));

        await _releases.RollbackAsync(Documents.AppId, "beta", Pipeline with { Operation = "rollback" });
        Assert.Equal("1.6.0-beta.1", await BundleOf("beta"));

        // A stale generation refuses a whole publish too.
        await Assert.ThrowsAsync<StaleGenerationException>(() => _changes.ReplaceAsync(Documents.Sample(withOverrides: false), publish, ifGeneration: first));
    }
}
