using System.Net;
using Capgo.Edge.Server.Abuse;

namespace Capgo.Edge.Server.Tests.Admission;

/// <summary>How client addresses group into the networks every per-client limit keys on.</summary>
public sealed class ClientNetworkTests
{
    private static ClientNetwork Of(string address, int ipv4 = 32, int ipv6 = 64) => ClientNetwork.Of(IPAddress.Parse(address), ipv4, ipv6);

    [Fact]
    public void An_ipv4_address_is_its_own_network_whichever_socket_family_carried_it()
    {
        Assert.Equal(Of("203.0.113.5"), Of("::ffff:203.0.113.5"));
        Assert.NotEqual(Of("203.0.113.5"), Of("203.0.113.6"));
        Assert.Equal("203.0.113.5", Of("::ffff:203.0.113.5").ToString());
    }

    [Fact]
    public void Ipv6_addresses_are_grouped_by_their_64()
    {
        Assert.Equal(Of("2001:db8:1:2::1"), Of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        Assert.NotEqual(Of("2001:db8:1:2::1"), Of("2001:db8:1:3::1"));
        Assert.Equal("2001:db8:1:2::", Of("2001:db8:1:2:aaaa:bbbb:cccc:dddd").ToString());

        // No IPv6 network collides with an IPv4 address.
        Assert.NotEqual(Of("::"), Of("0.0.0.0"));
    }

    [Fact]
    public void Shorter_prefixes_group_wider_networks()
    {
        Assert.Equal(Of("198.51.100.1", ipv4: 24), Of("198.51.100.254", ipv4: 24));
        Assert.NotEqual(Of("198.51.100.1", ipv4: 24), Of("198.51.101.1", ipv4: 24));
        Assert.Equal(Of("2001:db8:1:2::1", ipv6: 48), Of("2001:db8:1:ffff::1", ipv6: 48));
        Assert.NotEqual(Of("2001:db8:1:2::1", ipv6: 128), Of("2001:db8:1:2::2", ipv6: 128));
    }
}
