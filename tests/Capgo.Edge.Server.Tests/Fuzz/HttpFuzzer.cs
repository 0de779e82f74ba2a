using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// Sends <see cref="BodyMutator"/> bodies over HTTP/1.1 keep-alive connections to the plugin's
/// endpoints, round-robin, and judges each reply: never a 5xx; every non-2xx is <c>application/json</c>
/// with string <c>error</c> and <c>message</c>; no transport error on a body of at most 1 MiB.
/// </summary>
internal sealed class HttpFuzzer(HttpClient client)
{
    public const string Target = "http ";

    /// <summary><c>CAPGO_FUZZ_ENDPOINT=0..3</c>: fuzz one endpoint only (to bisect a finding).</summary>
    private static readonly int? Only = int.TryParse(Environment.GetEnvironmentVariable("CAPGO_FUZZ_ENDPOINT"), CultureInfo.InvariantCulture, out var only) ? only : null;

    private static readonly (HttpMethod Method, string Path)[] Endpoints =
    [
        (HttpMethod.Post, "/updates"),
        (HttpMethod.Post, "/stats"),
        (HttpMethod.Post, "/channel_self"),
        (HttpMethod.Put, "/channel_self"),
    ];

    private static readonly string[] VectorDevices = ["00009a6b-eefe-490a-9c60-8e965132ae51", "6F1C2B9A-4D3E-4A5B-9C8D-7E6F5A4B3C2D"];

    private readonly Dictionary<int, byte[][]> _bases = BaseBodies();

    /// <summary>A pool of 256 device ids, so per-device limits are reached too.</summary>
    private readonly string[] _pool = Enumerable.Range(0, 256).Select(i => new Guid(i, 0x4d3e, 0x4a5b, 0x9c, 0x8d, 0x7e, 0x6f, 0x5a, 0x4b, 0x3c, 0x2d).ToString()).ToArray();

    public static int EndpointCount => Endpoints.Length;

    /// <summary>A client of the edge's HTTP port: HTTP/1.1 only, <paramref name="workers"/> kept-alive connections.</summary>
    public static HttpClient Client(Uri httpBase, int workers) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = workers,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = httpBase,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    /// <summary>True for an answer of the histogram that means the server failed, not the client.</summary>
    public static bool IsServerFailure(string answer) => answer.StartsWith('5') || answer.StartsWith("transport", StringComparison.Ordinal);

    /// <summary>
    /// Sends <paramref name="count"/> bodies from <paramref name="workers"/> workers at once; with
    /// <paramref name="flood"/>, the plugin's own bodies only, each from a new device.
    /// </summary>
    public async Task RunAsync(int seed, int count, int workers, FuzzResults results, bool flood = false)
    {
        var fields = _bases.SelectMany(static b => b.Value).SelectMany(static body => ((JsonObject)FirstObject(JsonNode.Parse(body)!)).Select(static p => p.Key))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mutator = new BodyMutator(seed * 31 + worker, fields);
            var random = mutator.Random;
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var endpoint = Only ?? i % Endpoints.Length;
                var source = _bases[endpoint][random.Next(_bases[endpoint].Length)];

                // Three in four bodies carry a device id never seen before, and one in three is the plugin's
                // own body: those reach, and would grow, every per-device table.
                var device = !flood && random.Next(4) == 0 ? _pool[random.Next(_pool.Length)] : FreshDevice(random);
                var body = WithDevice(source, random.Next(4) == 0 ? device.ToUpperInvariant() : device);
                await SendOneAsync(endpoint, flood || random.Next(3) == 0 ? body : mutator.Mutate(body), random, results).ConfigureAwait(false);
            }
        })));
    }

    private async Task SendOneAsync(int endpoint, byte[] body, Random random, FuzzResults results)
    {
        var (method, path) = Endpoints[endpoint];
        var target = $"{Target}{method} {path}";
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        // Mostly the plugin's content type; sometimes none, another, or a charset the body does not have.
        var contentType = random.Next(20) switch
        {
            0 => null,
            1 => "text/plain",
            2 => "application/json; charset=utf-16",
            3 => "application/x-www-form-urlencoded",
            _ => "application/json",
        };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        var what = contentType ?? "no content-type";
        int status;
        string text;
        string? mediaType;
        try
        {
            (status, mediaType, text) = await SendWithRetryAsync(request, body, contentType).ConfigureAwait(false);
        }
        catch (HttpRequestException) when (body.Length > 1024 * 1024)
        {
            // A body over Kestrel's own limit may be refused before it is all sent: not a reply to judge.
            results.Count(target, "reset(>1MiB body)");
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            results.Count(target, "transport-error");
            results.Fail(target, what, body, ex.GetType().Name + ": " + ex.Message + " / " + ex.InnerException?.Message);
            return;
        }

        results.Count(target, status.ToString(CultureInfo.InvariantCulture));
        if (status >= 500)
        {
            results.Fail(target, what, body, $"{status}: {text}");
        }
        else if (status is < 200 or >= 300 && !IsErrorShape(mediaType, text))
        {
            results.Fail(target, what, body, $"{status}, not the error shape: {FuzzResults.Truncate(text, 300)}");
        }
    }

    /// <summary>
    /// Sends once; when a kept-alive connection the server had just closed (after a 413 it did not read
    /// to the end) fails the send, sends the same body once more on a new connection, as a client would.
    /// </summary>
    private async Task<(int Status, string? MediaType, string Text)> SendWithRetryAsync(HttpRequestMessage request, byte[] body, string? contentType)
    {
        try
        {
            return await SendCoreAsync(request).ConfigureAwait(false);
        }
        catch (HttpRequestException) when (body.Length <= 1024 * 1024)
        {
            using var again = new HttpRequestMessage(request.Method, request.RequestUri) { Content = new ByteArrayContent(body) };
            again.Headers.ConnectionClose = true;
            if (contentType is not null)
            {
                again.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            return await SendCoreAsync(again).ConfigureAwait(false);
        }
    }

    private async Task<(int Status, string? MediaType, string Text)> SendCoreAsync(HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
    }

    private static bool IsErrorShape(string? mediaType, string text)
    {
        if (mediaType != "application/json")
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Per endpoint index: the plugin's real bodies for it (shared/vectors, plus what the endpoint adds).</summary>
    private static Dictionary<int, byte[][]> BaseBodies()
    {
        var requests = Vectors.RequestNames().Select(Vectors.Object).ToArray();
        var stats = requests.Select(static r => Clone(r).With("action", "set").With("old_version_name", "1.3.1")).ToArray();
        string[] actions = ["download_50", "download_complete", "app_crash", "ping", "set_fail"];
        var statsBatch = new JsonArray(actions.Select(a => (JsonNode?)Clone(requests[0]).With("action", a)).ToArray());
        var channelSet = requests.SelectMany(static r => new[] { Clone(r).With("channel", "beta"), Clone(r).With("channel", "production") }).ToArray();
        return new()
        {
            [0] = requests.Select(Utf8).ToArray(),
            [1] = [.. stats.Select(Utf8), Utf8(statsBatch)],
            [2] = channelSet.Select(Utf8).ToArray(),
            [3] = [.. requests.Select(Utf8), .. channelSet.Select(Utf8)],
        };
    }

    private static JsonObject Clone(JsonObject value) => (JsonObject)value.DeepClone();

    private static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static JsonNode FirstObject(JsonNode node) => node is JsonArray array ? array[0]! : node;

    private static string FreshDevice(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString("D");
    }

    /// <summary>The body with <paramref name="device"/> in place of the vectors' device ids.</summary>
    private static byte[] WithDevice(byte[] body, string device)
    {
        var text = Encoding.UTF8.GetString(body);
        foreach (var vector in VectorDevices)
        {
            text = text.Replace(vector, device, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text);
    }
}
