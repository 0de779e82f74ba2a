using System.Net;
using System.Text;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Plugin;

/// <summary><c>HttpApi:MaxRequestBodyBytes</c> is the one body limit of every plugin endpoint, below or above the server's default.</summary>
public sealed class PluginBodyReaderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public PluginBodyReaderTests() => TestProjection.WriteAll(_directory);

    public void Dispose() => _directory.Dispose();

    private static byte[] Padded(int size)
    {
        var text = Encoding.UTF8.GetString(Vectors.Bytes(Vectors.AndroidRequest)).TrimEnd();
        var prefix = text[..^1] + ",\"pad\":\"";
        const string suffix = "\"}";
        return Encoding.UTF8.GetBytes(prefix + new string('x', size - prefix.Length - suffix.Length) + suffix);
    }

    private Task<TestEdge> StartAsync(int limit) =>
        TestEdge.StartAsync(TestEdgeOptions.Standalone(_directory.Path, $"--HttpApi:MaxRequestBodyBytes={limit}") with { WaitReady = true });

    [Fact]
    public async Task A_smaller_configured_limit_is_enforced()
    {
        await using var edge = await StartAsync(2048);

        PluginReply.AssertOffer(await edge.PostUpdatesAsync(Padded(2048)));
        var refused = await edge.PostUpdatesAsync(Padded(2049));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.Status);
        PluginReply.AssertError(refused.Json());
    }

    [Fact]
    public async Task A_larger_configured_limit_accepts_bodies_above_the_server_default()
    {
        const int limit = 3 * 1024 * 1024;
        await using var edge = await StartAsync(limit);

        // 1.5 MB: above Kestrel's 1 MB server-wide body limit, below the API's.
        var accepted = await edge.PostUpdatesAsync(Padded(1536 * 1024));
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(accepted));

        var refused = await edge.PostUpdatesAsync(Padded(limit + 1));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.Status);
        PluginReply.AssertError(refused.Json());
    }

    [Theory]
    [InlineData("POST", "/updates")]
    [InlineData("POST", "/stats")]
    [InlineData("POST", "/channel_self")]
    [InlineData("PUT", "/channel_self")]
    public async Task Every_plugin_endpoint_reads_bodies_up_to_a_limit_above_the_server_default_and_refuses_past_it_in_the_contract_shape(string method, string path)
    {
        const int limit = 2 * 1024 * 1024;
        await using var edge = await StartAsync(limit);

        // 1.5 MB: above Kestrel's 1 MB server-wide limit, so only the API's limit can let it through.
        var read = await edge.SendAsync(new HttpMethod(method), path, Content(Padded(1536 * 1024)));
        Assert.True(read.Status != HttpStatusCode.RequestEntityTooLarge, $"{method} {path}: {read.Status}");

        var refused = await edge.SendAsync(new HttpMethod(method), path, Content(Padded(limit + 1)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.Status);
        var body = refused.Json();
        PluginReply.AssertError(body);
        Assert.Equal("payload_too_large", (string)body["error"]!);
    }

    private static ByteArrayContent Content(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }
}
