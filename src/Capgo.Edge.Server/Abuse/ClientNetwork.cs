using System.Buffers.Binary;
using System.Net;

namespace Capgo.Edge.Server.Abuse;

/// <summary>
/// The network a client address belongs to, the key of every per-client limit: an IPv4 address as is
/// (<see cref="AbuseOptions.Ipv4PrefixLength"/>, 32), an IPv6 address cut to its
/// <see cref="AbuseOptions.Ipv6PrefixLength"/> (64). One IPv6 subscriber holds at least a /64 and its
/// devices rotate their addresses inside it (privacy addresses), so a per-address key would give one
/// client a fresh budget per request. IPv4-mapped IPv6 addresses (a dual-stack socket) count as the
/// IPv4 address they carry. The value is the network in IPv6 form, so both families share one key space.
/// </summary>
internal readonly record struct ClientNetwork(UInt128 Prefix)
{
    /// <summary>The network of <paramref name="address"/>; allocation-free.</summary>
    public static ClientNetwork Of(IPAddress address, int ipv4PrefixLength, int ipv6PrefixLength)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes[12..], out _);
            return FromIpv4(BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]), ipv4PrefixLength);
        }

        address.TryWriteBytes(bytes, out _);
        var value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        if (address.IsIPv4MappedToIPv6)
        {
            return FromIpv4((uint)value, ipv4PrefixLength);
        }

        return new ClientNetwork(value & (UInt128.MaxValue << (128 - ipv6PrefixLength)));
    }

    /// <summary>The IPv4 network in its IPv4-mapped IPv6 form (<c>::ffff:a.b.c.d</c>).</summary>
    private static ClientNetwork FromIpv4(uint address, int prefixLength) =>
        new((UInt128)0xFFFF_0000_0000UL | (address & (uint.MaxValue << (32 - prefixLength))));

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Prefix);
        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();
    }
}
