namespace Capgo.Edge.Redis;

/// <summary>
/// Redis Cluster's key → slot arithmetic (CRC16/XMODEM of the key's hash tag, mod 16 384), and the
/// stable device → event shard hash. The layout needs slots without a connection (the CLI and the
/// dashboard build it before connecting), so they are computed here; tests check them against
/// <c>CLUSTER KEYSLOT</c>.
/// </summary>
public static class HashSlots
{
    public const int Count = 16_384;

    /// <summary>The slot of a key: only its hash tag counts when it has one.</summary>
    public static int Of(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hashed = Tag(key) is { } tag ? key.Substring(tag.Start, tag.Length) : key;
        ushort crc = 0;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(hashed))
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % Count;
    }

    /// <summary>
    /// Where a key's hash tag is (Redis's rule: the text between the first <c>{</c> and the first
    /// <c>}</c> after it, when not empty), or null when it has none.
    /// </summary>
    public static (int Start, int Length)? Tag(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var open = key.IndexOf('{', StringComparison.Ordinal);
        if (open < 0)
        {
            return null;
        }

        var close = key.IndexOf('}', open + 1);
        return close > open + 1 ? (open + 1, close - open - 1) : null;
    }

    /// <summary>
    /// The event shard of a device: FNV-1a of its id, lower-cased as the registry stores it, so every
    /// event of a device goes to one shard, in order, whichever edge takes it.
    /// </summary>
    public static int ShardOf(string deviceId, int shards)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (shards <= 1)
        {
            return 0;
        }

        var hash = 2166136261u;
        foreach (var c in deviceId)
        {
            hash = (hash ^ char.ToLowerInvariant(c)) * 16777619u;
        }

        return (int)(hash % (uint)shards);
    }
}
