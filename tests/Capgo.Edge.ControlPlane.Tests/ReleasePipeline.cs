using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Tests.Support;
using Xunit.Abstractions;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>
/// A CI release pipeline played through the real capgo-edge command line against a store (Redis, or a
/// projection folder), with real edges answering real plugin bodies after every step.
/// </summary>
public abstract class ReleasePipeline(ITestOutputHelper log) : IAsyncLifetime
{
    private const string App = Documents.AppId;
    private const int Devices = 10_000;
    private const string Url200 = "https://cdn.example.com/com.demo.app/2.0.0.zip";
    private const string FilesBase = "https://cdn.example.com/com.demo.app/2.0.0";

    /// <summary>Bundle 2.0.0 as a web build zips it: one top folder holding index.html and its script.</summary>
    private static readonly (string Path, string Content)[] BundleFiles =
    [
        ("dist/index.html", "<!doctype html><script src=\"app.js\"></script>"),
        ("dist/app.js", "console.log('2.0.0');"),
    ];

    private static readonly byte[] Zip200 = BuildZip();
    private static readonly string Checksum = Convert.ToHexStringLower(SHA256.HashData(Zip200));

    /// <summary>
    /// What a device on 1.3.1 (native 1.2.0, plugin 8.51.23) is offered by production on 1.4.0: the
    /// bundle with its manifest (plugin 8+), link and comment (metadata exposed, plugin ≥ 8.35.0).
    /// </summary>
    private static readonly string Offer140 = JsonNode.Parse("""
        {
          "version": "1.4.0", "url": "https://cdn.example.com/com.demo.app/1.4.0.zip", "session_key": "", "checksum": "3885ee49",
          "manifest": [{
            "file_name": "assets/app.js",
            "file_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "download_url": "https://cdn.example.com/com.demo.app/files/assets/app.js"
          }],
          "link": "https://example.com/release-notes", "comment": "Faster start-up"
        }
        """)!.ToJsonString();

    private static readonly string[] DeviceIds = NewDeviceIds();

    private string _dir = null!;

    /// <summary>The edges every step asks; the first answers for them all when they agree.</summary>
    protected abstract IReadOnlyList<TestEdge> Edges { get; }

    /// <summary>How the command line reaches the store: <c>--redis CONN</c> or <c>--dir DIR</c>.</summary>
    protected abstract string[] StoreArgs { get; }

    public virtual Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("capgo-release-pipeline-").FullName;
        return Task.CompletedTask;
    }

    public virtual Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Returns once every edge of <see cref="Edges"/> counts as live for <c>--wait</c>.</summary>
    protected abstract Task WaitForLiveEdgesAsync();

    [Fact]
    public async Task A_rollout_from_10_to_50_percent_then_promoted_and_rolled_back_is_served_identically_by_every_edge_to_10000_devices()
    {
        var clock = Stopwatch.StartNew();
        // --wait only waits for live edges: every one must be heartbeating before the first write.
        await WaitForLiveEdgesAsync();

        var file = Path.Combine(_dir, "com.demo.app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        string[] production = ["--app", App, "--channel", "production", "--actor", "ci"];
        await WriteAsync("publish", file);
        await WriteAsync(["rollout", "abort", .. production]);
        var zip = Path.Combine(_dir, "2.0.0.zip");
        await File.WriteAllBytesAsync(zip, Zip200);
        await WriteAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url200, "--zip", zip, "--manifest-base", FilesBase, "--actor", "ci");
        // The sample's production channel blocks major upgrades (disable_auto_update = major), so a
        // device on native 1.2.0 would get disable_auto_update_to_major for 2.0.0, never an offer.
        // A release of a new major lifts that first; it does not change the 1.4.0 answer.
        await WriteAsync(["channel", "set", .. production, "--disable-auto-update", "none"]);

        var before = await AskEdgesAsync("before the rollout");
        Assert.All(DeviceIds, id => Assert.Equal(Offer140, before[id]));

        await WriteAsync(["rollout", "start", .. production, "--bundle", "2.0.0", "--percent", "10"]);
        var rolloutId = await RolloutIdAsync();
        var at10 = await AskEdgesAsync("rollout 10 %");
        var cohort10 = AssertCohort(at10, before, rolloutId, 1_000, "10 %");

        await WriteAsync(["rollout", "set", .. production, "--percent", "50"]);
        Assert.Equal(rolloutId, await RolloutIdAsync());
        var at50 = await AskEdgesAsync("rollout 50 %");
        var cohort50 = AssertCohort(at50, before, rolloutId, 5_000, "50 %");
        Assert.Empty(cohort10.Except(cohort50)); // raising the share removes no one

        await WriteAsync(["rollout", "promote", .. production]);
        var promoted = await AskEdgesAsync("promoted");
        Assert.All(DeviceIds, id => AssertOffer200(promoted[id]));
        log.WriteLine($"promote: {Share(promoted):0.00} % offered 2.0.0");

        await WriteAsync(["rollback", .. production]);
        var rolledBack = await AskEdgesAsync("rolled back");
        Assert.All(DeviceIds, id => Assert.Equal(before[id], rolledBack[id]));
        log.WriteLine($"rollback: {Share(rolledBack):0.00} % offered 2.0.0, {rolledBack.Values.Count(r => r == Offer140)} of {Devices} the 1.4.0 offer");
        log.WriteLine($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// The devices offered 2.0.0 at <paramref name="bps"/>: within ±2 points of the share, exactly the
    /// devices whose bucket (spec §3) is below it, and everyone else keeps the answer from before.
    /// </summary>
    private HashSet<string> AssertCohort(IReadOnlyDictionary<string, string> replies, IReadOnlyDictionary<string, string> before, string rolloutId, int bps, string step)
    {
        var cohort = DeviceIds.Where(id => IsOffer200(replies[id])).ToHashSet();
        var share = Share(replies);
        log.WriteLine($"{step}: {share:0.00} % offered 2.0.0 ({cohort.Count} of {Devices}), rollout {rolloutId}");
        Assert.InRange(share, bps / 100.0 - 2, bps / 100.0 + 2);
        Assert.All(DeviceIds, id =>
        {
            var inRollout = RolloutBucket.IsIn(RolloutBucket.Compute(rolloutId, id), bps);
            Assert.True(inRollout == cohort.Contains(id), $"{step}: device {id} in rollout {inRollout} but reply {replies[id]}");
            if (inRollout)
            {
                AssertOffer200(replies[id]);
            }
            else
            {
                Assert.Equal(before[id], replies[id]);
            }
        });
        return cohort;
    }

    private static double Share(IReadOnlyDictionary<string, string> replies) => 100.0 * replies.Values.Count(IsOffer200) / Devices;

    private static bool IsOffer200(string reply)
    {
        using var json = JsonDocument.Parse(reply);
        return !json.RootElement.TryGetProperty("error", out _) && json.RootElement.GetProperty("version").GetString() == "2.0.0";
    }

    /// <summary>
    /// 2.0.0 offered as added from its zip: no error, no kind, its URL, the zip's SHA-256, an empty session
    /// key, and the manifest of its files (paths without the top folder, hashes of their bytes).
    /// </summary>
    private static void AssertOffer200(string reply)
    {
        var offer = JsonNode.Parse(reply)!.AsObject();
        Assert.Equal(["checksum", "manifest", "session_key", "url", "version"], offer.Select(p => p.Key).Order());
        Assert.Equal(("2.0.0", Url200, "", Checksum), ((string?)offer["version"], (string?)offer["url"], (string?)offer["session_key"], (string?)offer["checksum"]));
        var manifest = offer["manifest"]!.AsArray().Select(static f => ((string)f!["file_name"]!, (string)f["file_hash"]!, (string)f["download_url"]!)).OrderBy(static f => f.Item1).ToList();
        Assert.Equal(
            BundleFiles.Select(static f => (f.Path[5..], Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(f.Content))), $"{FilesBase}/{f.Path[5..]}")).OrderBy(static f => f.Item1).ToList(),
            manifest);
    }

    /// <summary>Every device's reply (raw JSON), after checking every edge answered it identically with 200.</summary>
    private async Task<IReadOnlyDictionary<string, string>> AskEdgesAsync(string step)
    {
        var replies = new ConcurrentDictionary<string, string>();
        var mismatches = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(DeviceIds, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, _) =>
        {
            var first = await CheckAsync(Edges[0], id);
            foreach (var edge in Edges.Skip(1))
            {
                var other = await CheckAsync(edge, id);
                if (other != first)
                {
                    mismatches.Add($"{id}: {Edges[0].Name} {first} / {edge.Name} {other}");
                }
            }

            replies[id] = first;
        });
        Assert.True(mismatches.IsEmpty, $"{step}: {mismatches.Count} devices answered differently, e.g. {mismatches.FirstOrDefault()}");
        return replies;
    }

    /// <summary>The Android plugin's body with no defaultChannel, so the device lands on public production.</summary>
    private static async Task<string> CheckAsync(TestEdge edge, string deviceId)
    {
        var body = (Dictionary<string, object>)Documents.AndroidCheck(deviceId);
        body.Remove("defaultChannel");
        Assert.Equal(("1.3.1", "1.2.0"), ((string)body["version_name"], (string)body["version_build"]));
        using var response = await edge.Http.PostAsJsonAsync("/updates", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 200, $"{edge.Name} answered {(int)response.StatusCode} for {deviceId}: {text}");
        return JsonNode.Parse(text)!.ToJsonString();
    }

    private async Task<string> RolloutIdAsync()
    {
        var channels = JsonNode.Parse((await RunAsync("channel", "list", "--app", App, "--json")).Out)!.AsArray();
        return (string)channels.Single(c => (string?)c!["name"] == "production")!["rollout"]!["id"]!;
    }

    /// <summary>A writing step of the pipeline: --wait --timeout 10s, exit 0, served by every edge.</summary>
    private async Task WriteAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync([.. args, "--wait", "--timeout", "10s"]);
        Assert.True(code == 0, $"{string.Join(' ', args)} exited {code}: {stderr}");
        Assert.Contains($"served by all {Edges.Count} live edges", stdout, StringComparison.Ordinal);
    }

    protected Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync([.. args, .. StoreArgs]);

    private static byte[] BuildZip()
    {
        using var buffer = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in BundleFiles)
            {
                using var entry = new StreamWriter(archive.CreateEntry(path).Open());
                entry.Write(content);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Lower-case UUIDs from a seeded Random: the same devices on every run.</summary>
    private static string[] NewDeviceIds()
    {
        var random = new Random(20261201);
        var bytes = new byte[16];
        return [.. Enumerable.Range(0, Devices).Select(_ =>
        {
            random.NextBytes(bytes);
            return new Guid(bytes).ToString("D");
        })];
    }
}
