using Capgo.Edge.ControlPlane.Keys;
using Grpc.Core;
using Microsoft.Extensions.Caching.Hybrid;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>
/// Checks a release-API call's <c>x-api-key</c> against the app it names: no or an unknown key is
/// UNAUTHENTICATED (HTTP 401), a key of another app PERMISSION_DENIED (403). Verifications are cached
/// (<see cref="HybridCache"/>, in memory, <see cref="CacheFor"/>) under the key's id and tagged with it; a
/// revocation is announced (<see cref="ApiKeys.RevokedType"/>) and <see cref="KeyRevocations"/> removes the
/// tag at once, so only a lost announcement leaves a revoked key working, for at most <see cref="CacheFor"/>.
/// </summary>
internal sealed class ApiKeyAuthorizer(ApiKeys keys, HybridCache cache)
{
    public const string Header = "x-api-key";
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    private static readonly HybridCacheEntryOptions Entry = new() { Expiration = CacheFor, LocalCacheExpiration = CacheFor };

    /// <summary>The key's name (the actor of what it changes); throws the RPC's refusal otherwise.</summary>
    public async Task<string> AuthorizeAsync(ServerCallContext context, string appId)
    {
        var presented = context.RequestHeaders.GetValue(Header);
        if (string.IsNullOrEmpty(presented))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"an API key is required in the {Header} header"));
        }

        var info = await VerifyAsync(presented, context.CancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the API key is unknown or revoked"));
        }

        if (!string.Equals(info.AppId, appId, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"the API key does not grant app {appId}"));
        }

        return info.Name;
    }

    /// <summary>What the presented key grants (cached as above); null when it is unknown or revoked.</summary>
    public async Task<ApiKeyInfo?> VerifyAsync(string presented, CancellationToken cancellationToken = default)
    {
        var id = ApiKeys.IdOf(presented);
        return await cache.GetOrCreateAsync(
            "apikey:" + id,
            (keys, presented),
            static async (state, _) => await state.keys.VerifyAsync(state.presented).ConfigureAwait(false),
            Entry,
            tags: ["apikey:" + id],
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets a revoked key's cached verification in this process.</summary>
    public ValueTask ForgetAsync(string id) => cache.RemoveByTagAsync("apikey:" + id);
}

/// <summary>Forgets the cached verification of every key revoked anywhere, as its revocation is announced.</summary>
internal sealed class KeyRevocations(StackExchange.Redis.IConnectionMultiplexer redis, Capgo.Edge.Redis.RedisLayout layout, ApiKeyAuthorizer authorizer) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(layout.Changes).ConfigureAwait(false);
        queue.OnMessage(async message =>
        {
            if (ApiKeys.RevokedId(message.Message.ToString()) is { } id)
            {
                await authorizer.ForgetAsync(id).ConfigureAwait(false);
            }
        });
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
    }
}
