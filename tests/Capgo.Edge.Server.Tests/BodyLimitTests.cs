using System.Net;
using System.Text;
using Capgo.Edge.Server.Tests.Infrastructure;

namespace Capgo.Edge.Server.Tests;

/// <summary><c>HttpApi:MaxRequestBodyBytes</c> is the one limit of <c>POST /updates</c>, below or above the server's default.</summary>
public sealed class BodyLimitTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public BodyLimitTests() => TestProjection.WriteAll(_directory);

    public void Dispose() => _directory.Dispose();

    private static byte[] Padded(int size)
    {
        var text = Encoding.UTF8.GetString(Vectors.Bytes(Vectors.AndroidRequest)).TrimEnd();
        var prefix = text[..^1] + ",\"pad\":\"";
        const string suffix = "\"}";
        return Encoding.UTF8.GetBytes(prefix + new string('x', size - prefix.Length - suffix.Length) + suffix);
    }

    private async Task<EdgeServer> StartAsync(int limit)
    {
        var edge = await EdgeServer.StartAsync(_directory.Path, $"--HttpApi:MaxRequestBodyBytes={limit}");
        await Wait.UntilAsync(async () => (await edge.GetAsync("/healthz/ready")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "never ready");
        return edge;
    }

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
}
