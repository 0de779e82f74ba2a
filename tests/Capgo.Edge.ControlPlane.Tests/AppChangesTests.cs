using System.Text.Json.Nodes;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>Read-modify-write of a stored app document against a real Redis: atomic, retried, never lost.</summary>
[Collection(SharedPublisherRedis.Name)]
public sealed class AppChangesTests(PublisherRedis redis)
{
    private readonly PublisherLibrary _library = redis.Publisher();
    private readonly ConnectionMultiplexer _mux = redis.Mux;

    private RedisLayout _layout => _library.Layout;

    private ProjectionPublisher _publisher => _library.Publisher;

    private AppChanges _changes => _library.Changes;

    private static readonly ChangeContext Ci = new("ci@runner", "test");

    private static Action<JsonObject> AddBundle(string name) => document => document["bundles"]!.AsArray().Add(new JsonObject
    {
        ["name"] = name,
        ["url"] = $"https://cdn.example.com/com.demo.app/{name}.zip",
        ["checksum"] = "0badc0de",
        ["session_key"] = "",
    });

    private static string[] BundleNames(JsonObject document) =>
        [.. document["bundles"]!.AsArray().Select(static b => (string)b!["name"]!)];

    [Fact]
    public async Task Concurrent_writers_to_one_app_all_land_and_none_is_overwritten()
    {
        var first = await _publisher.PublishAsync(Documents.Sample(withOverrides: false));
        var names = Enumerable.Range(0, 24).Select(static i => $"9.0.{i}").ToArray();

        var changes = await Task.WhenAll(names.Select(name => Task.Run(() => _changes.ApplyAsync(Documents.AppId, Ci, AddBundle(name)))));

        var (document, generation) = (await _changes.ReadAsync(Documents.AppId))!.Value;
        Assert.Subset(BundleNames(document).ToHashSet(), names.ToHashSet());
        Assert.Equal(names.Length, changes.Select(static c => c.After).Distinct().Count());
        Assert.All(changes, c => Assert.True(c.After > first));
        Assert.Equal(changes.Max(static c => c.After), generation);

        // Every change is in the audit stream, recorded by the same script that made it.
        var audit = await _mux.GetDatabase().StreamRangeAsync(_layout.Audit);
        Assert.Equal(
            changes.Select(static c => c.After).Order(),
            audit.Select(static a => (long)JsonNode.Parse((string)a["entry"]!)!["generation"]!).Order());

        // Each change was applied to the document its predecessor produced: the generations chain.
        var chain = changes.OrderBy(static c => c.After).ToArray();
        Assert.Equal(first, chain[0].Before);
        for (var i = 1; i < chain.Length; i++)
        {
            Assert.Equal(chain[i - 1].After, chain[i].Before);
        }
    }

    [Fact]
    public async Task A_stale_if_generation_is_refused_and_changes_nothing()
    {
        var first = await _publisher.PublishAsync(Documents.Sample(withOverrides: false));
        var second = (await _changes.ApplyAsync(Documents.AppId, Ci, AddBundle("9.1.0"))).After;

        var error = await Assert.ThrowsAsync<StaleGenerationException>(() => _changes.ApplyAsync(Documents.AppId, Ci, AddBundle("9.2.0"), ifGeneration: first));
        Assert.Contains(second.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);

        var (document, generation) = (await _changes.ReadAsync(Documents.AppId))!.Value;
        Assert.Equal(second, generation);
        Assert.DoesNotContain("9.2.0", BundleNames(document));

        // The current generation is accepted.
        var third = await _changes.ApplyAsync(Documents.AppId, Ci, AddBundle("9.2.0"), ifGeneration: second);
        Assert.True(third.After > second);
    }

    [Fact]
    public async Task A_publish_conditioned_on_a_passed_generation_writes_nothing()
    {
        var first = await _publisher.PublishAsync(Documents.Sample(withOverrides: false));
        await _publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0", withOverrides: false));

        await Assert.ThrowsAsync<StaleGenerationException>(() => _publisher.PublishAsync(Documents.Sample(betaBundle: "1.4.0", withOverrides: false), first));
        var (document, _) = (await _changes.ReadAsync(Documents.AppId))!.Value;
        Assert.Equal("1.5.0", (string)document["channels"]!.AsArray().Single(static c => (string)c!["name"]! == "beta")!["bundle"]!);

        // Generation 0 means "not published yet".
        await Assert.ThrowsAsync<StaleGenerationException>(() => _publisher.PublishAsync(Documents.Sample(withOverrides: false), 0));
        await _publisher.PublishAsync(Documents.Sample(appId: "com.demo.fresh", withOverrides: false), 0);
    }

    [Fact]
    public async Task An_edit_that_changes_nothing_publishes_nothing()
    {
        var first = await _publisher.PublishAsync(Documents.Sample(withOverrides: false));

        var change = await _changes.ApplyAsync(Documents.AppId, Ci, static _ => { });

        Assert.False(change.Changed);
        Assert.Equal(first, (await _changes.ReadAsync(Documents.AppId))!.Value.Generation);
    }

    [Fact]
    public async Task An_edit_that_breaks_a_rule_is_refused_with_the_validators_words_and_nothing_is_written()
    {
        var first = await _publisher.PublishAsync(Documents.Sample(withOverrides: false));

        var error = await Assert.ThrowsAsync<PublishException>(() => _changes.ApplyAsync(
            Documents.AppId,
            Ci,
            static document => document["channels"]!.AsArray()[0]!["bundle"] = "no-such-bundle"));

        Assert.Contains("no-such-bundle", error.Message, StringComparison.Ordinal);
        Assert.Equal(first, (await _changes.ReadAsync(Documents.AppId))!.Value.Generation);
        await Assert.ThrowsAsync<PublishException>(() => _changes.ApplyAsync("com.not.published", Ci, AddBundle("1.0.0")));
    }
}
