using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>The release commands on a projection folder (<c>--dir</c>): no Redis, the same commands and exit codes.</summary>
public sealed class FolderCliTests : IDisposable
{
    private const string App = Documents.AppId;
    private readonly string _dir = Directory.CreateTempSubdirectory("capgo-folder-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunAsync(false, args);

    private static async Task<(int Code, string Out, string Err)> RunAsync(bool interactive, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Cli.CliApp.RunAsync(args, output, error, interactive);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync([.. args, "--dir", _dir]);
        Assert.True(code == 0, $"{string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    [Fact]
    public async Task Publish_show_and_history_work_on_a_folder_and_the_file_is_named_after_the_app()
    {
        var source = Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-source.json");
        await File.WriteAllBytesAsync(source, Documents.Sample());
        try
        {
            await OkAsync("publish", source, "--actor", "ci");
        }
        finally
        {
            File.Delete(source);
        }

        await OkAsync("channel", "set", "--app", App, "--channel", "beta", "--bundle", "1.4.0", "--actor", "ci");

        var shown = JsonNode.Parse(await OkAsync("show", "--app", App))!;
        Assert.Equal(shown.ToJsonString(), JsonNode.Parse(await File.ReadAllBytesAsync(ProjectionFolder.AppFile(_dir, App)))!.ToJsonString());
        Assert.NotNull(shown["device_overrides"]); // a folder document keeps its pins
        var history = JsonNode.Parse(await OkAsync("history", "--app", App, "--channel", "beta", "--json"))!.AsArray();
        Assert.Equal(["channel set", "channel add"], history.Select(static h => (string)h!["operation"]!));
        Assert.Equal("1.4.0", (string?)history[0]!["bundle_after"]);
    }

    [Fact]
    public async Task Redis_only_commands_two_stores_and_a_missing_folder_are_refused_with_their_exit_codes()
    {
        var (code, _, err) = await RunAsync("override", "set", "--app", App, "--device", "d", "--channel", "beta", "--dir", _dir);
        Assert.Equal(1, code);
        Assert.Contains("works on Redis only", err, StringComparison.Ordinal);

        (code, _, err) = await RunAsync("channel", "list", "--app", App, "--dir", _dir, "--redis", "localhost:1");
        Assert.Equal(1, code);
        Assert.Contains("name different stores", err, StringComparison.Ordinal);

        (code, _, err) = await RunAsync("channel", "list", "--app", App, "--dir", Path.Combine(_dir, "missing"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", err, StringComparison.Ordinal);

        (code, _, err) = await RunAsync("channel", "list", "--app", App, "--dir", _dir);
        Assert.Equal(2, code);
        Assert.Contains($"app {App} is not published", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_with_no_edge_on_the_folder_returns_at_once_and_with_a_silent_edge_names_it()
    {
        await File.WriteAllBytesAsync(Path.Combine(_dir, "seed.json"), Documents.Sample());
        Assert.Contains("served by all 0 live edges", await OkAsync("rollout", "pause", "--app", App, "--channel", "production", "--wait"), StringComparison.Ordinal);

        // An edge that acknowledged once, recently, and never loads the change: exit 3 naming it.
        Directory.CreateDirectory(ProjectionFolder.EdgesDirectory(_dir));
        await File.WriteAllBytesAsync(ProjectionFolder.EdgeFile(_dir, "stuck"), ProjectionFolder.EncodeAck("stuck", DateTimeOffset.UtcNow, []));
        var (code, _, err) = await RunAsync("rollout", "resume", "--app", App, "--channel", "production", "--wait", "--timeout", "300ms", "--dir", _dir);
        Assert.Equal(3, code);
        Assert.Contains("stuck", err, StringComparison.Ordinal);
        Assert.DoesNotContain("waiting:", err, StringComparison.Ordinal); // redirected: no progress line

        // On a terminal the wait shows its progress on one rewritten line; with --json it stays quiet.
        (code, _, err) = await RunAsync(true, "rollout", "pause", "--app", App, "--channel", "production", "--wait", "--timeout", "300ms", "--dir", _dir);
        Assert.Equal(3, code);
        Assert.Contains("\rwaiting: 0 of 1 edges serve generation", err, StringComparison.Ordinal);
        (code, _, err) = await RunAsync(true, "rollout", "resume", "--app", App, "--channel", "production", "--wait", "--timeout", "300ms", "--json", "--dir", _dir);
        Assert.Equal(3, code);
        Assert.DoesNotContain("waiting:", err, StringComparison.Ordinal);

        // The document kept its hand-given name.
        Assert.False(File.Exists(ProjectionFolder.AppFile(_dir, App)));
    }
}
