using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Capgo.Edge.Core;

/// <summary>
/// Places a device in a rollout with no stored state: XxHash3 of the rollout id (the per-rollout
/// salt), a zero byte, and the lower-cased device id, modulo 10000 basis points.
/// </summary>
/// <remarks>
/// Stable across processes and machines (XxHash3 with seed 0 is specified), monotonic in the share
/// (a device is in when its bucket is below the share), and a new rollout id reshuffles the order.
/// </remarks>
public static class RolloutBucket
{
    public const int Buckets = 10_000;
    private const int StackLimit = 256;

    public static int Compute(ReadOnlySpan<char> rolloutId, ReadOnlySpan<char> deviceId)
    {
        var length = Encoding.UTF8.GetMaxByteCount(rolloutId.Length + deviceId.Length) + 1;
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(rolloutId, buffer);
            buffer[written++] = 0;
            var deviceBytes = buffer[written..];
            var n = Encoding.UTF8.GetBytes(deviceId, deviceBytes);

            // Device ids are ASCII UUIDs after validation; lower-casing bytes keeps this allocation-free.
            for (var i = 0; i < n; i++)
            {
                var b = deviceBytes[i];
                if (b is >= (byte)'A' and <= (byte)'Z')
                {
                    deviceBytes[i] = (byte)(b | 0x20);
                }
            }

            var hash = XxHash3.HashToUInt64(buffer[..(written + n)]);
            return (int)(hash % Buckets);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static bool IsIn(int bucket, int shareBps) => bucket < shareBps;
}
