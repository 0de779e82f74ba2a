using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Keys;

/// <summary>A release-API key as stored: the app it grants, its name (the actor in history), and its id (the hash's first 12 digits).</summary>
/// <remarks>Immutable, so a cache may hand out the one instance rather than a copy.</remarks>
[System.ComponentModel.ImmutableObject(true)]
public sealed record ApiKeyInfo(string Id, string AppId, string Name, DateTimeOffset Created);

/// <summary>
/// Per-app keys for the release API. A key is 32 random bytes (<c>cek_</c> + base64url), shown once at
/// creation; Redis keeps only its SHA-256, so a leaked Redis dump grants nothing. Verification hashes
/// the presented key, looks the hash up and compares it in constant time.
/// </summary>
public sealed class ApiKeys
{
    private const string KeyPrefix = "cek_";
    private readonly IDatabase _db;
    private readonly RedisLayout _layout;
    private readonly TimeProvider _time;

    public ApiKeys(IConnectionMultiplexer redis, RedisLayout layout, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _layout = layout;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates a key for the app; returns the key (shown once) and what is stored of it.</summary>
    public async Task<(string Key, ApiKeyInfo Info)> CreateAsync(string appId, string name)
    {
        if (!AppIds.IsValid(appId))
        {
            throw new PublishException($"app_id '{appId}' is not a reverse-domain app id");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var hash = Hash(key);
        var created = _time.GetUtcNow();
        var transaction = _db.CreateTransaction();
        _ = transaction.HashSetAsync(_layout.ApiKey(hash),
        [
            new HashEntry("app", appId), new HashEntry("name", name), new HashEntry("created", created.ToUnixTimeMilliseconds()), new HashEntry("hash", hash),
        ]);
        _ = transaction.SetAddAsync(_layout.AppApiKeys(appId), hash);
        await transaction.ExecuteAsync().ConfigureAwait(false);
        return (key, new ApiKeyInfo(hash[..12], appId, name, created));
    }

    /// <summary>The app's keys (never the keys themselves).</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(string appId)
    {
        var keys = new List<ApiKeyInfo>();
        foreach (var hash in await _db.SetMembersAsync(_layout.AppApiKeys(appId)).ConfigureAwait(false))
        {
            if (await ReadAsync(hash.ToString()).ConfigureAwait(false) is { } info)
            {
                keys.Add(info);
            }
        }

        return [.. keys.OrderBy(static k => k.Created)];
    }

    /// <summary>Revokes the app's key named by its id (or a longer prefix of its hash) or its name; refused when none or several match.</summary>
    public async Task<ApiKeyInfo> RevokeAsync(string appId, string idOrName)
    {
        var matches = new List<(string Hash, ApiKeyInfo Info)>();
        foreach (var hash in await _db.SetMembersAsync(_layout.AppApiKeys(appId)).ConfigureAwait(false))
        {
            var h = hash.ToString();
            if (await ReadAsync(h).ConfigureAwait(false) is { } info && (h.StartsWith(idOrName, StringComparison.Ordinal) && idOrName.Length >= 6 || info.Name == idOrName))
            {
                matches.Add((h, info));
            }
        }

        if (matches.Count != 1)
        {
            throw new PublishException(matches.Count == 0
                ? $"app {appId} has no key '{idOrName}'"
                : $"'{idOrName}' names {matches.Count} keys of app {appId}; give a key id");
        }

        var (revoked, revokedInfo) = matches[0];
        var transaction = _db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(_layout.ApiKey(revoked));
        _ = transaction.SetRemoveAsync(_layout.AppApiKeys(appId), revoked);
        _ = transaction.PublishAsync(_layout.Changes, RevokedAnnouncement(revokedInfo.Id));
        await transaction.ExecuteAsync().ConfigureAwait(false);
        return revokedInfo;
    }

    /// <summary>What a presented key grants; null when it is not a key (unknown, revoked, malformed).</summary>
    public async Task<ApiKeyInfo?> VerifyAsync(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || !presented.StartsWith(KeyPrefix, StringComparison.Ordinal) || presented.Length > 100)
        {
            return null;
        }

        var hash = Hash(presented);
        var stored = await _db.HashGetAsync(_layout.ApiKey(hash), "hash").ConfigureAwait(false);
        if (stored.IsNull || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(stored.ToString())))
        {
            return null;
        }

        return await ReadAsync(hash).ConfigureAwait(false);
    }

    /// <summary>
    /// Announced on the changes channel when a key is revoked, so every service forgets its cached
    /// verification at once (edges ignore the type).
    /// </summary>
    public const string RevokedType = "apikey_revoked";

    public static string RevokedAnnouncement(string id) => $"{{\"type\":\"{RevokedType}\",\"id\":\"{id}\"}}";

    /// <summary>The id of a revoked key in an announcement, or null when it is not one.</summary>
    public static string? RevokedId(string announcement)
    {
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(announcement);
            return (string?)node?["type"] == RevokedType ? (string?)node?["id"] : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The id a key is known by in logs and caches: the first 12 hex digits of its hash.</summary>
    public static string IdOf(string presented) => Hash(presented)[..12];

    private async Task<ApiKeyInfo?> ReadAsync(string hash)
    {
        var fields = await _db.HashGetAsync(_layout.ApiKey(hash), ["app", "name", "created"]).ConfigureAwait(false);
        return fields[0].IsNull
            ? null
            : new ApiKeyInfo(hash[..12], fields[0].ToString(), fields[1].ToString(), DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields[2].ToString(), CultureInfo.InvariantCulture)));
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
