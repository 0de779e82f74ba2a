using System.Globalization;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.ControlPlane.Stores;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Tests.Stores;

/// <summary>The release operations on a projection folder: atomic, never lost, confirmed by acknowledgements.</summary>
public sealed class FolderAppStoreTests : IDisposable
{
    private static readonly ChangeContext Ci = new("ci@runner", "test");
    private readonly string _dir = Directory.CreateTempSubdirectory("capgo-folder-store-").FullName;
    private readonly FolderAppStore _store;
    private readonly AppChanges _changes;
    private readonly ReleaseOperations _releases;

    public FolderAppStoreTests()
    {
        _store = new FolderAppStore(_dir);
        _changes = new AppChanges(_store);
        var history = new ChannelHistory(_store);
        _releases = new ReleaseOperations(_changes, history);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string AppFile => ProjectionFolder.AppFile(_dir, Documents.AppId);

    private Task<long> PublishSampleAsync() => _changes.ReplaceAsync(Documents.Sample(withOverrides: false), Ci);

    private static Action<JsonObject> AddChannel(string name) => document => ChannelEdits.Add(document, name, new ChannelPolicy());

    [Fact]
    public async Task Concurrent_writers_to_one_app_all_land_and_each_change_is_in_the_history()
    {
        var first = await PublishSampleAsync();
        var names = Enumerable.Range(0, 16).Select(static i => $"ring-{i}").ToArray();

        var changes = await Task.WhenAll(names.Select(name => Task.Run(() => _changes.ApplyAsync(Documents.AppId, Ci, AddChannel(name)))));

        var (document, generation) = (await _store.ReadAsync(Documents.AppId))!.Value;
        var channels = document["channels"]!.AsArray().Select(static c => (string)c!["name"]!).ToHashSet();
        Assert.Subset(channels, names.ToHashSet());
        Assert.Equal(changes.Max(static c => c.After), generation);
        var chain = changes.OrderBy(static c => c.After).ToArray();
        Assert.Equal(first, chain[0].Before);
        for (var i = 1; i < chain.Length; i++)
        {
            Assert.Equal(chain[i - 1].After, chain[i].Before);
        }

        foreach (var change in changes)
        {
            var added = change.Document["channels"]!.AsArray().Select(static c => (string)c!["name"]!).Intersect(names).ToArray();
            Assert.Contains(added, name => _store.ReadHistoryAsync(Documents.AppId, name).Result.Count == 1);
        }

        // The edge reads the file itself: it holds the last change, whole.
        Assert.Equal(document.ToJsonString(), JsonNode.Parse(await File.ReadAllBytesAsync(AppFile))!.ToJsonString());
        var audit = await File.ReadAllLinesAsync(Path.Combine(ProjectionFolder.StateDirectory(_dir), "audit.jsonl"));
        Assert.Equal(names.Length + 1, audit.Length);
    }

    [Fact]
    public async Task A_stale_if_generation_is_refused_and_leaves_the_file_untouched()
    {
        var first = await PublishSampleAsync();
        var second = (await _changes.ApplyAsync(Documents.AppId, Ci, AddChannel("qa"))).After;
        var bytes = await File.ReadAllBytesAsync(AppFile);

        var error = await Assert.ThrowsAsync<StaleGenerationException>(() => _changes.ApplyAsync(Documents.AppId, Ci, AddChannel("qa2"), ifGeneration: first));

        Assert.Contains(second.ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(AppFile));
        Assert.True((await _changes.ApplyAsync(Documents.AppId, Ci, AddChannel("qa2"), ifGeneration: second)).After > second);
    }

    [Fact]
    public async Task A_document_edited_by_hand_reads_as_a_newer_generation_so_a_change_planned_before_it_is_refused()
    {
        var first = await PublishSampleAsync();
        var edited = JsonNode.Parse(await File.ReadAllBytesAsync(AppFile))!.AsObject();
        ChannelEdits.Add(edited, "by-hand", new ChannelPolicy());
        await File.WriteAllTextAsync(AppFile, edited.ToJsonString());

        var (_, generation) = (await _store.ReadAsync(Documents.AppId))!.Value;

        Assert.True(generation > first);
        await Assert.ThrowsAsync<StaleGenerationException>(() => _changes.ApplyAsync(Documents.AppId, Ci, AddChannel("qa"), ifGeneration: first));
        var after = await _changes.ApplyAsync(Documents.AppId, Ci, AddChannel("qa"), ifGeneration: generation);
        Assert.Contains(after.Document["channels"]!.AsArray(), c => (string?)c!["name"] == "by-hand");
    }

    [Fact]
    public async Task Every_write_moves_the_files_modification_time_forward_even_when_the_clock_has_not()
    {
        await PublishSampleAsync();
        // The last write's time is ahead of the clock (a coarse file-system tick, or a clock stepped back):
        // the next same-length write must still look newer to an edge that compares time and length.
        var ahead = DateTime.UtcNow.AddMinutes(10);
        File.SetLastWriteTimeUtc(AppFile, ahead);
        var length = new FileInfo(AppFile).Length;

        await _changes.ApplyAsync(Documents.AppId, Ci, static document => RolloutEdits.SetPercentage(document, "production", 4000));

        Assert.Equal(length, new FileInfo(AppFile).Length);
        Assert.True(File.GetLastWriteTimeUtc(AppFile) > ahead);
    }

    [Fact]
    public async Task A_rollback_reads_the_folder_history()
    {
        await PublishSampleAsync();
        await _changes.ApplyAsync(Documents.AppId, Ci, static d => ChannelEdits.Set(d, "beta", new ChannelPolicy(), "1.4.0"));

        var change = await _releases.RollbackAsync(Documents.AppId, "beta", Ci);

        Assert.Equal("1.6.0-beta.1", (string?)change.Document["channels"]!.AsArray().Single(static c => (string?)c!["name"] == "beta")!["bundle"]);
        var history = await new ChannelHistory(_store).ReadAsync(Documents.AppId, "beta");
        Assert.Equal(["test", "test", "channel add"], history.Select(static h => h.Operation));
        Assert.Equal(change.After, history[0].Generation);
    }

    [Fact]
    public async Task Wait_counts_an_edge_as_serving_only_when_its_acknowledgement_names_the_written_content()
    {
        var generation = await PublishSampleAsync();
        var bytes = await File.ReadAllBytesAsync(AppFile);
        Directory.CreateDirectory(ProjectionFolder.EdgesDirectory(_dir));
        await WriteAckAsync("fresh", DateTimeOffset.UtcNow, ProjectionFolder.ContentHash(bytes));
        await WriteAckAsync("behind", DateTimeOffset.UtcNow, ProjectionFolder.ContentHash("{}"u8));
        await WriteAckAsync("gone", DateTimeOffset.UtcNow.AddMinutes(-5), "whatever");

        var result = await _store.WaitForEdgesAsync(Documents.AppId, generation, TimeSpan.FromMilliseconds(200));

        Assert.False(result.AllServing);
        Assert.Equal(["fresh"], result.Serving);
        Assert.Equal(["behind"], result.Lagging);

        await WriteAckAsync("behind", DateTimeOffset.UtcNow, ProjectionFolder.ContentHash(bytes));
        Assert.True((await _store.WaitForEdgesAsync(Documents.AppId, generation, TimeSpan.FromSeconds(2))).AllServing);
    }

    [Fact]
    public async Task A_corrupt_state_file_is_refused_with_its_path_and_nothing_is_written()
    {
        await PublishSampleAsync();
        var bytes = await File.ReadAllBytesAsync(AppFile);
        var state = Path.Combine(ProjectionFolder.StateDirectory(_dir), Documents.AppId + ".state.json");
        await File.WriteAllTextAsync(state, "{not json");

        var error = await Assert.ThrowsAsync<PublishException>(() => _changes.ApplyAsync(Documents.AppId, Ci, AddChannel("qa")));

        Assert.Contains(state, error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(AppFile));
    }

    private Task WriteAckAsync(string edge, DateTimeOffset time, string hash) =>
        File.WriteAllBytesAsync(ProjectionFolder.EdgeFile(_dir, edge), ProjectionFolder.EncodeAck(edge, time, [new(Documents.AppId, hash)]));
}
