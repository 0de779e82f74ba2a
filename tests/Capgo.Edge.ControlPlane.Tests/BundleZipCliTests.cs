using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Tests.Releases;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary><c>capgo-edge bundle add --zip</c> against a real Redis: what it stores, prints and refuses.</summary>
public sealed class BundleZipCliTests : IAsyncLifetime
{
    private const string App = Documents.AppId;
    private const string Url = "https://cdn.example.com/com.demo.app/2.0.0.zip";
    private const string Base = "https://cdn.example.com/com.demo.app/2.0.0";
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _mux = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        _dir = Directory.CreateTempSubdirectory("capgo-bundle-zip-cli-").FullName;
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        await OkAsync("publish", file, "--actor", "ci");
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync([.. args, "--redis", _redis.ConnectionString]);

    private Task<string> OkAsync(params string[] args) => CliRun.OkAsync([.. args, "--redis", _redis.ConnectionString]);

    private async Task<long> GenerationAsync() => (long)await _mux.GetDatabase().HashGetAsync(new RedisLayout().App(App), "gen");

    /// <summary>Writes a bundle zip of a <c>dist/</c> folder with <paramref name="extra"/> script files; returns its path and bytes.</summary>
    private async Task<(string Path, byte[] Bytes)> WriteZipAsync(int extra = 0)
    {
        var entries = new List<(string, string)> { ("dist/index.html", "<html>2.0.0</html>"), ("dist/assets/app.js", "console.log('2.0.0')") };
        entries.AddRange(Enumerable.Range(0, extra).Select(i => ($"dist/assets/chunk-{i:D2}.js", $"chunk {i}")));
        var bytes = BundleArchiveTests.Zip([.. entries]);
        var path = Path.Combine(_dir, "2.0.0.zip");
        await File.WriteAllBytesAsync(path, bytes);
        return (path, bytes);
    }

    private async Task<JsonObject?> StoredBundleAsync(string name = "2.0.0")
    {
        var document = JsonNode.Parse(await OkAsync("show", "--app", App))!;
        return document["bundles"]!.AsArray().OfType<JsonObject>().SingleOrDefault(b => (string?)b["name"] == name);
    }

    [Fact]
    public async Task Adding_a_bundle_from_its_zip_stores_the_computed_checksum_and_manifest_and_prints_the_uploads()
    {
        var (zip, bytes) = await WriteZipAsync(extra: 6);

        var stdout = await OkAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip, "--manifest-base", Base + "/");

        var checksum = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var bundle = (await StoredBundleAsync())!;
        Assert.Equal(checksum, (string?)bundle["checksum"]);
        Assert.Equal(Url, (string?)bundle["url"]);
        var manifest = bundle["manifest"]!.AsArray();
        Assert.Equal(8, manifest.Count);
        var app = manifest.Single(f => (string?)f!["file_name"] == "assets/app.js")!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("console.log('2.0.0')"))), (string?)app["file_hash"]);
        Assert.Equal(Base + "/assets/app.js", (string?)app["download_url"]);

        // The edge's own parser reads the manifest the plugin gets.
        var document = Encoding.UTF8.GetBytes(JsonNode.Parse(await OkAsync("show", "--app", App))!.ToJsonString());
        Assert.Equal(8, AppDocument.Parse(document, 1).Bundles["2.0.0"].Manifest.Count);

        Assert.Contains($"checksum (sha256): {checksum}", stdout, StringComparison.Ordinal);
        Assert.Contains($"the zip needs uploading to {Url}", stdout, StringComparison.Ordinal);
        Assert.Contains("its 8 files uploaded, unchanged and uncompressed, from the zip's folder dist/", stdout, StringComparison.Ordinal);
        Assert.Contains($"  dist/assets/app.js -> {Base}/assets/app.js", stdout, StringComparison.Ordinal);
        Assert.Contains("… and 3 more", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adding_the_same_zip_again_changes_nothing_and_another_zip_under_the_name_is_refused()
    {
        var (zip, _) = await WriteZipAsync();
        await OkAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip, "--manifest-base", Base);
        var generation = await GenerationAsync();

        var again = await OkAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip, "--manifest-base", Base);
        Assert.Contains("nothing changed", again, StringComparison.Ordinal);

        await File.WriteAllBytesAsync(zip, BundleArchiveTests.Zip(("dist/index.html", "<html>other</html>")));
        var (code, _, stderr) = await RunAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip, "--manifest-base", Base);
        Assert.Equal(2, code);
        Assert.Contains("checksum, manifest", stderr, StringComparison.Ordinal);
        Assert.Equal(generation, await GenerationAsync());
    }

    [Fact]
    public async Task The_crc32_algorithm_stores_eight_hex_digits_for_older_plugins_and_json_output_stays_one_value()
    {
        var (zip, bytes) = await WriteZipAsync();

        var (code, stdout, stderr) = await RunAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip, "--checksum-algorithm", "crc32", "--json");

        Assert.Equal(0, code);
        Assert.True((bool)JsonNode.Parse(stdout)!["changed"]!);
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(bytes);
        var expected = crc.GetCurrentHashAsUInt32().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, (string?)(await StoredBundleAsync())!["checksum"]);
        Assert.Null((await StoredBundleAsync())!["manifest"]);
        Assert.Contains($"checksum (crc32): {expected}", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_with_a_zip_writes_nothing()
    {
        var (zip, _) = await WriteZipAsync();
        var generation = await GenerationAsync();

        var stdout = await OkAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip, "--manifest-base", Base, "--dry-run");

        Assert.Contains("nothing written", stdout, StringComparison.Ordinal);
        Assert.Contains("\"file_name\": \"assets/app.js\"", stdout, StringComparison.Ordinal);
        Assert.Contains("the zip would need uploading", stdout, StringComparison.Ordinal);
        Assert.Equal(generation, await GenerationAsync());
        Assert.Null(await StoredBundleAsync());
    }

    [Fact]
    public async Task A_zip_the_plugin_could_not_install_is_refused_naming_the_file_and_the_problem()
    {
        var zip = Path.Combine(_dir, "broken.zip");
        await File.WriteAllBytesAsync(zip, BundleArchiveTests.Zip(("build/www/index.html", "<html></html>")));
        var generation = await GenerationAsync();

        var (code, _, stderr) = await RunAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip);

        Assert.Equal(2, code);
        Assert.Contains("refused: broken.zip: the plugin needs index.html at the zip's root or in its single top folder", stderr, StringComparison.Ordinal);
        Assert.Contains("index.html at build/www/index.html", stderr, StringComparison.Ordinal);

        await File.WriteAllTextAsync(zip, "<html>not a zip</html>");
        (code, _, stderr) = await RunAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, "--zip", zip);
        Assert.Equal(2, code);
        Assert.Contains("refused: broken.zip: not a readable zip archive", stderr, StringComparison.Ordinal);
        Assert.Equal(generation, await GenerationAsync());
    }

    [Theory]
    [InlineData("--zip and --checksum exclude each other", "--zip", "ZIP", "--checksum", "c0ffee20")]
    [InlineData("--zip or --checksum is required")]
    [InlineData("--manifest-base goes with --zip", "--checksum", "c0ffee20", "--manifest-base", Base)]
    [InlineData("--checksum-algorithm goes with --zip", "--checksum", "c0ffee20", "--checksum-algorithm", "crc32")]
    [InlineData("--checksum-algorithm: 'md5' is not one of sha256, crc32", "--zip", "ZIP", "--checksum-algorithm", "md5")]
    [InlineData("an encrypted bundle's is signed with your key", "--zip", "ZIP", "--session-key", "K", "--key-id", "ID")]
    [InlineData("--zip: no file at", "--zip", "missing.zip")]
    public async Task Wrong_zip_options_are_usage_errors(string message, params string[] options)
    {
        var (zip, _) = await WriteZipAsync();
        string[] args = ["bundle", "add", "--app", App, "--name", "2.0.0", "--url", Url, .. options.Select(o => o == "ZIP" ? zip : o)];

        var (code, _, stderr) = await RunAsync(args);

        Assert.Equal(1, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Null(await StoredBundleAsync());
    }
}
