using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Server.Tests;

/// <summary>The string table behind the reader: bounded, verified on every hit.</summary>
public sealed class Utf8StringCacheTests
{
    [Fact]
    public void Colliding_values_replace_each_other_and_each_read_returns_its_own_text()
    {
        var cache = new Utf8StringCache(1);
        var a = cache.Get("ios"u8);
        Assert.Same(a, cache.Get("ios"u8));
        Assert.Equal("android", cache.Get("android"u8));
        var again = cache.Get("ios"u8);
        Assert.Equal("ios", again);
        Assert.NotSame(a, again);
    }

    [Fact]
    public void Long_and_non_ascii_values_are_decoded_and_malformed_ones_are_refused()
    {
        var cache = new Utf8StringCache(16);
        var longValue = new string('x', Utf8StringCache.MaxLength + 1);
        var bytes = System.Text.Encoding.ASCII.GetBytes(longValue);
        Assert.Equal(longValue, cache.Get(bytes));
        Assert.NotSame(cache.Get(bytes), cache.Get(bytes));
        Assert.Equal("é", cache.Get("é"u8));
        Assert.Null(cache.Get([0xC3]));
        Assert.Same(string.Empty, cache.Get([]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-4)]
    public void The_capacity_is_a_power_of_two(int capacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Utf8StringCache(capacity));
}
