using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Stores;

/// <summary>
/// Apps through the control-plane service's release API (HTTPS JSON, protos/capgo/controlplane/v1), with
/// a per-app key: CI releases with the same commands and no Redis credentials. The service checks the
/// generation, records the change with the key's name as actor and announces it; a stale generation
/// comes back as 409 (<see cref="StaleGenerationException"/>), a refusal as <see cref="PublishException"/>.
/// An unreachable service is <see cref="HttpRequestException"/>.
/// </summary>
public sealed class ApiAppStore : AppStore
{
    private readonly HttpClient _http;

    /// <param name="http">Its base address is the service's URL; it is sent with the key.</param>
    /// <param name="apiKey">The app's release-API key.</param>
    public ApiAppStore(HttpClient http, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        _http = http;
        _http.DefaultRequestHeaders.Remove("x-api-key");
        _http.DefaultRequestHeaders.Add("x-api-key", apiKey);
    }

    public override async Task<(JsonObject Document, long Generation)?> ReadAsync(string appId)
    {
        var reply = await SendAsync(HttpMethod.Get, $"v1/apps/{Escape(appId)}/document", null, notFoundIsNull: true).ConfigureAwait(false);
        return reply is null ? null : (JsonNode.Parse((string)reply["documentJson"]!)!.AsObject(), Int64(reply["generation"]));
    }

    public override async Task<byte[]?> GetDocumentAsync(string appId)
    {
        var reply = await SendAsync(HttpMethod.Get, $"v1/apps/{Escape(appId)}/document?withOverrides=true", null, notFoundIsNull: true).ConfigureAwait(false);
        return reply is null ? null : Encoding.UTF8.GetBytes(JsonNode.Parse((string)reply["documentJson"]!)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    public override async Task<IReadOnlyList<string>> ReadHistoryAsync(string appId, string channel)
    {
        var reply = await SendAsync(HttpMethod.Get, $"v1/apps/{Escape(appId)}/channels/{Escape(channel)}/history", null).ConfigureAwait(false);
        return [.. (reply!["entriesJson"] as JsonArray ?? []).Select(static e => (string)e!)];
    }

    public override async Task<WaitResult> WaitForEdgesAsync(string appId, long generation, TimeSpan timeout, IProgress<WaitResult>? progress = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["generation"] = generation.ToString(CultureInfo.InvariantCulture), ["timeoutMs"] = (int)timeout.TotalMilliseconds };
        var reply = await SendAsync(HttpMethod.Post, $"v1/apps/{Escape(appId)}/wait", body).ConfigureAwait(false);
        return new WaitResult(
            (bool?)reply!["allServing"] ?? false,
            [.. (reply["serving"] as JsonArray ?? []).Select(static e => (string)e!)],
            [.. (reply["lagging"] as JsonArray ?? []).Select(static e => (string)e!)]);
    }

    /// <summary>Per bundle over the window (<c>1h</c>, <c>24h</c>, <c>7d</c>), of one channel or all.</summary>
    public async Task<IReadOnlyList<Analytics.BundleStats>> StatsAsync(string appId, string window, string? channel)
    {
        var query = $"v1/apps/{Escape(appId)}/stats?window={Escape(window)}" + (channel is null ? "" : $"&channel={Escape(channel)}");
        var reply = await SendAsync(HttpMethod.Get, query, null).ConfigureAwait(false);
        return [.. (reply!["bundles"] as JsonArray ?? []).OfType<JsonObject>().Select(static b => new Analytics.BundleStats(
            (string?)b["bundle"] ?? "",
            Int64(b["activeDevices"]),
            Int64(b["checks"]),
            Int64(b["installs"]),
            Int64(b["failures"]),
            Int64(b["downloads"]),
            (double?)b["failureRate"],
            (b["checksByOutcome"] as JsonObject ?? []).ToDictionary(static o => o.Key, static o => Int64(o.Value), StringComparer.Ordinal)))];
    }

    /// <summary>Registry entries by device id, or by custom id.</summary>
    public async Task<IReadOnlyList<Analytics.DeviceEntry>> DevicesAsync(string appId, string? deviceId, string? customId)
    {
        var query = $"v1/apps/{Escape(appId)}/devices?" + (deviceId is not null ? $"deviceId={Escape(deviceId)}" : $"customId={Escape(customId ?? "")}");
        var reply = await SendAsync(HttpMethod.Get, query, null).ConfigureAwait(false);
        return [.. (reply!["devices"] as JsonArray ?? []).OfType<JsonObject>().Select(static d => new Analytics.DeviceEntry(
            (string?)d["deviceId"] ?? "",
            DateTimeOffset.FromUnixTimeMilliseconds(Int64(d["lastSeenUnixMs"])),
            (d["entry"] as JsonObject ?? []).ToDictionary(static e => e.Key, static e => (string?)e.Value ?? "", StringComparer.Ordinal)))];
    }

    internal override async Task<long> WriteAsync(ReadOnlyMemory<byte> document, AppSnapshot snapshot, long? expectedGeneration, ChangeRecord? record)
    {
        // The service compares generations itself; without one to expect, the current one is expected.
        var expected = expectedGeneration ?? (await ReadAsync(snapshot.AppId).ConfigureAwait(false))?.Generation ?? 0;
        var body = new JsonObject
        {
            ["documentJson"] = Encoding.UTF8.GetString(document.Span),
            ["ifGeneration"] = expected.ToString(CultureInfo.InvariantCulture),
            ["operation"] = record?.Context.Operation ?? "publish",
        };
        var reply = await SendAsync(HttpMethod.Put, $"v1/apps/{Escape(snapshot.AppId)}/document", body).ConfigureAwait(false);
        return Int64(reply!["generation"]);
    }

    private async Task<JsonObject?> SendAsync(HttpMethod method, string path, JsonObject? body, bool notFoundIsNull = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return JsonNode.Parse(text)?.AsObject();
        }

        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var message = MessageOf(text) ?? $"the release API answered {(int)response.StatusCode}";
        throw response.StatusCode switch
        {
            HttpStatusCode.Conflict => new StaleGenerationException(message),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new PublishException("the release API refused the key: " + message),
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout => new HttpRequestException(message, null, response.StatusCode),
            _ => new PublishException(message),
        };
    }

    /// <summary>The message of the transcoder's error shape (<c>{"code","message","details"}</c>).</summary>
    private static string? MessageOf(string text)
    {
        try
        {
            return (string?)JsonNode.Parse(text)?["message"];
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>A proto3 JSON int64: a string, or a number.</summary>
    private static long Int64(JsonNode? node) => node is null ? 0
        : node.GetValueKind() == System.Text.Json.JsonValueKind.String ? long.Parse((string)node!, CultureInfo.InvariantCulture)
        : (long)node;

    private static string Escape(string segment) => Uri.EscapeDataString(segment);
}
