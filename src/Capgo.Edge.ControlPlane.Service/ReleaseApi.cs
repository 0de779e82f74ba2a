using System.Text;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.ControlPlane.Stores;
using Capgo.Edge.Contracts.ControlPlane.V1;
using Capgo.Edge.Redis;
using Grpc.Core;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>
/// The release API (protos/capgo/controlplane/v1/release_service.proto): the publisher library's store
/// operations behind a per-app key. Every refusal is a gRPC status, which JSON transcoding turns into
/// the HTTP status and its one error shape (<c>{"code","message","details"}</c>).
/// </summary>
internal sealed class ReleaseApi(RedisAppStore store, AppChanges changes, ReleaseStats stats, DeviceRegistry devices, ApiKeyAuthorizer keys, Microsoft.Extensions.Caching.Hybrid.HybridCache cache)
    : ReleaseService.ReleaseServiceBase
{
    /// <summary>
    /// How long a stats window or a device lookup is served from memory: dashboards and pipelines poll
    /// the same figures, and a window of an hour or more moves little in two seconds.
    /// </summary>
    private static readonly Microsoft.Extensions.Caching.Hybrid.HybridCacheEntryOptions Reads = new()
    {
        Expiration = TimeSpan.FromSeconds(2),
        LocalCacheExpiration = TimeSpan.FromSeconds(2),
    };

    private static readonly Dictionary<string, TimeSpan> Windows = new(StringComparer.Ordinal)
    {
        ["1h"] = TimeSpan.FromHours(1),
        ["24h"] = TimeSpan.FromHours(24),
        ["7d"] = TimeSpan.FromDays(7),
    };

    public override async Task<DocumentReply> GetDocument(AppRequest request, ServerCallContext context)
    {
        await keys.AuthorizeAsync(context, request.AppId).ConfigureAwait(false);
        return await GuardAsync(async () =>
        {
            var (document, generation) = await store.ReadAsync(request.AppId).ConfigureAwait(false) ?? throw NotPublished(request.AppId);
            var text = request.WithOverrides
                ? Encoding.UTF8.GetString(await store.GetDocumentAsync(request.AppId).ConfigureAwait(false) ?? throw NotPublished(request.AppId))
                : document.ToJsonString();
            return new DocumentReply { DocumentJson = text, Generation = generation };
        }).ConfigureAwait(false);
    }

    public override async Task<WriteReply> WriteDocument(WriteDocumentRequest request, ServerCallContext context)
    {
        var actor = await keys.AuthorizeAsync(context, request.AppId).ConfigureAwait(false);
        return await GuardAsync(async () =>
        {
            var bytes = Encoding.UTF8.GetBytes(request.DocumentJson);
            var appId = System.Text.Json.Nodes.JsonNode.Parse(bytes)?["app_id"]?.GetValue<string>();
            if (!string.Equals(appId, request.AppId, StringComparison.Ordinal))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"the document's app_id '{appId}' is not {request.AppId}"));
            }

            var operation = string.IsNullOrWhiteSpace(request.Operation) ? "publish" : request.Operation;
            var generation = await changes.ReplaceAsync(bytes, new ChangeContext(actor, operation), request.IfGeneration).ConfigureAwait(false);
            return new WriteReply { GenerationBefore = request.IfGeneration, Generation = generation };
        }).ConfigureAwait(false);
    }

    public override async Task<HistoryReply> GetHistory(HistoryRequest request, ServerCallContext context)
    {
        await keys.AuthorizeAsync(context, request.AppId).ConfigureAwait(false);
        var reply = new HistoryReply();
        reply.EntriesJson.AddRange(await GuardAsync(() => store.ReadHistoryAsync(request.AppId, request.Channel)).ConfigureAwait(false));
        return reply;
    }

    public override async Task<WaitReply> WaitForEdges(WaitRequest request, ServerCallContext context)
    {
        await keys.AuthorizeAsync(context, request.AppId).ConfigureAwait(false);
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(request.TimeoutMs, 0, 60_000));
        var result = await GuardAsync(() => store.WaitForEdgesAsync(request.AppId, request.Generation, timeout, cancellationToken: context.CancellationToken)).ConfigureAwait(false);
        var reply = new WaitReply { AllServing = result.AllServing };
        reply.Serving.AddRange(result.Serving);
        reply.Lagging.AddRange(result.Lagging);
        return reply;
    }

    public override async Task<StatsReply> GetStats(StatsRequest request, ServerCallContext context)
    {
        await keys.AuthorizeAsync(context, request.AppId).ConfigureAwait(false);
        var window = string.IsNullOrEmpty(request.Window) ? "24h" : request.Window;
        if (!Windows.TryGetValue(window, out var span))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"window '{window}' is not one of 1h, 24h, 7d"));
        }

        return await cache.GetOrCreateAsync(
            $"stats:{request.AppId}:{window}:{request.Channel}",
            (stats, request.AppId, span, Channel: string.IsNullOrEmpty(request.Channel) ? null : request.Channel),
            static async (state, _) => ToReply(await GuardAsync(() => state.stats.ReadAsync(state.AppId, state.span, state.Channel)).ConfigureAwait(false)),
            Reads,
            tags: ["app:" + request.AppId],
            cancellationToken: context.CancellationToken).ConfigureAwait(false);
    }

    private static StatsReply ToReply(IReadOnlyList<Analytics.BundleStats> bundles)
    {
        var reply = new StatsReply();
        foreach (var b in bundles)
        {
            var row = new Contracts.ControlPlane.V1.BundleStats
            {
                Bundle = b.Bundle, ActiveDevices = b.ActiveDevices, Checks = b.Checks, Installs = b.Installs, Failures = b.Failures, Downloads = b.Downloads,
            };
            if (b.FailureRate is { } rate)
            {
                row.FailureRate = rate;
            }

            row.ChecksByOutcome.Add(b.ChecksByOutcome.ToDictionary(StringComparer.Ordinal));
            reply.Bundles.Add(row);
        }

        return reply;
    }

    public override async Task<DevicesReply> FindDevices(DevicesRequest request, ServerCallContext context)
    {
        await keys.AuthorizeAsync(context, request.AppId).ConfigureAwait(false);
        if (string.IsNullOrEmpty(request.DeviceId) == string.IsNullOrEmpty(request.CustomId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "give one of device_id and custom_id"));
        }

        return await cache.GetOrCreateAsync(
            $"devices:{request.AppId}:{request.DeviceId}:{request.CustomId}",
            (devices, request.AppId, request.DeviceId, request.CustomId),
            static async (state, _) =>
            {
                var entries = await GuardAsync(async () => string.IsNullOrEmpty(state.DeviceId)
                    ? await state.devices.FindByCustomIdAsync(state.AppId, state.CustomId).ConfigureAwait(false)
                    : await state.devices.FindAsync(state.AppId, state.DeviceId).ConfigureAwait(false) is { } one ? [one] : []).ConfigureAwait(false);
                var reply = new DevicesReply();
                foreach (var e in entries)
                {
                    var device = new Device { DeviceId = e.DeviceId, LastSeenUnixMs = e.LastSeen.ToUnixTimeMilliseconds() };
                    device.Entry.Add(e.Fields.ToDictionary(StringComparer.Ordinal));
                    reply.Devices.Add(device);
                }

                return reply;
            },
            Reads,
            tags: ["app:" + request.AppId],
            cancellationToken: context.CancellationToken).ConfigureAwait(false);
    }

    private static RpcException NotPublished(string appId) => new(new Status(StatusCode.NotFound, $"app {appId} is not published"));

    /// <summary>The library's refusals as statuses: a stale generation is ABORTED (409), a broken rule INVALID_ARGUMENT (400).</summary>
    private static async Task<T> GuardAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (StaleGenerationException ex)
        {
            throw new RpcException(new Status(StatusCode.Aborted, ex.Message));
        }
        catch (PublishException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the document is not JSON: " + ex.Message));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The reason is a word: exception text can name hosts and ports.
            throw new RpcException(new Status(StatusCode.Unavailable, "redis_unreachable"));
        }
    }
}

internal static class ReleaseApiSetup
{
    public static IServiceCollection AddControlPlaneReleaseApi(this IServiceCollection services)
    {
        services.AddGrpc().AddJsonTranscoding();
        services.AddHybridCache()
            .AddSerializer<StatsReply, ProtobufCacheSerializer<StatsReply>>()
            .AddSerializer<DevicesReply, ProtobufCacheSerializer<DevicesReply>>();
        services.AddSingleton(static sp => new RedisAppStore(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<RedisLayout>()));
        services.AddSingleton(static sp => new DeviceRegistry(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<RedisLayout>()));
        services.AddSingleton(static sp => new Keys.ApiKeys(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<RedisLayout>()));
        services.AddSingleton<ApiKeyAuthorizer>();
        services.AddHostedService<KeyRevocations>();
        return services;
    }

    public static WebApplication MapControlPlaneReleaseApi(this WebApplication app)
    {
        app.MapGrpcService<ReleaseApi>();
        return app;
    }
}
