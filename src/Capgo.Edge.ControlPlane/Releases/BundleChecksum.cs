using System.IO.Hashing;
using System.Security.Cryptography;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>
/// The checksum a plugin generation verifies on a downloaded bundle zip (docs/bundles.md).
/// </summary>
public enum ChecksumAlgorithm
{
    /// <summary>SHA-256, 64 lowercase hex digits: plugins 5.10.0+, 6.25.0+, 7.0.30+ and every 8.x.</summary>
    Sha256,

    /// <summary>CRC-32 (IEEE, as <c>java.util.zip.CRC32</c>), 8 lowercase hex digits: older plugins.</summary>
    Crc32,
}

/// <summary>Bundle checksums as the plugin computes them, over a stream read once, front to back.</summary>
public static class BundleChecksum
{
    /// <summary>The checksum of the rest of <paramref name="data"/>, in lowercase hex.</summary>
    public static string Compute(Stream data, ChecksumAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(data);
        switch (algorithm)
        {
            case ChecksumAlgorithm.Sha256:
                return Convert.ToHexStringLower(SHA256.HashData(data));
            case ChecksumAlgorithm.Crc32:
                var crc = new Crc32();
                crc.Append(data);
                return crc.GetCurrentHashAsUInt32().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown checksum algorithm");
        }
    }
}
