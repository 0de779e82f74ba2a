namespace Capgo.Edge.Core.Tests;

/// <summary>SemVer 2.0.0 parsing and precedence (semver.org §9–§11).</summary>
public class SemVerTests
{
    private static SemVer Parse(string text)
    {
        Assert.True(SemVer.TryParse(text, out var version), $"'{text}' should parse");
        return version;
    }

    public static TheoryData<string[]> Ascending => new()
    {
        // semver.org §11 example.
        new[] { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0" },
        new[] { "1.0.0", "2.0.0", "2.1.0", "2.1.1" },
        new[] { "0.0.0", "0.0.1", "0.1.0", "0.9.9", "0.10.0", "1.0.0", "1.9.0", "1.10.0", "1.11.0", "10.0.0" },
        new[] { "1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-A", "1.0.0-Z", "1.0.0-a", "1.0.0-a.0", "1.0.0-b" },
        new[] { "1.2.3-rc.9", "1.2.3-rc.10", "1.2.3-rc.10.1", "1.2.3-rc.a", "1.2.3" },
        new[] { "8.34.9", "8.35.0-beta.1", "8.35.0-beta.2", "8.35.0", "8.35.1" },
    };

    [Theory]
    [MemberData(nameof(Ascending))]
    public void Precedence_is_strictly_ascending(string[] texts)
    {
        var versions = texts.Select(Parse).ToArray();
        for (var i = 0; i < versions.Length; i++)
        {
            for (var j = 0; j < versions.Length; j++)
            {
                var expected = i.CompareTo(j);
                Assert.Equal(expected, Math.Sign(versions[i].CompareTo(versions[j])));
                Assert.Equal(i < j, versions[i] < versions[j]);
                Assert.Equal(i > j, versions[i] > versions[j]);
                Assert.Equal(i <= j, versions[i] <= versions[j]);
                Assert.Equal(i >= j, versions[i] >= versions[j]);
                Assert.Equal(i == j, versions[i] == versions[j]);
                Assert.Equal(i != j, versions[i] != versions[j]);
            }
        }

        // Sorting a shuffled copy restores the order.
        var shuffled = versions.Reverse().ToArray();
        Array.Sort(shuffled);
        Assert.Equal(texts, shuffled.Select(v => v.ToString()));
    }

    [Theory]
    [InlineData("1.0.0+build.1", "1.0.0")]
    [InlineData("1.0.0+build.1", "1.0.0+other")]
    [InlineData("1.0.0-alpha+001", "1.0.0-alpha")]
    [InlineData("1.0.0+20130313144700", "1.0.0+exp.sha.5114f85")]
    [InlineData("1.0.0-beta+exp.sha.5114f85", "1.0.0-beta+0.1")]
    public void Build_metadata_is_ignored(string a, string b)
    {
        var x = Parse(a);
        var y = Parse(b);
        Assert.Equal(0, x.CompareTo(y));
        Assert.True(x == y);
        Assert.True(x.Equals(y));
        Assert.True(x.Equals((object)y));
        Assert.Equal(x.GetHashCode(), y.GetHashCode());
    }

    [Theory]
    [InlineData("1.2.3", 1, 2, 3, null)]
    [InlineData("0.0.0", 0, 0, 0, null)]
    [InlineData("10.20.30", 10, 20, 30, null)]
    [InlineData("1.2.3-beta.1+exp", 1, 2, 3, "beta.1")]
    [InlineData("1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--")]
    [InlineData("1.0.0-0a", 1, 0, 0, "0a")]
    [InlineData("1.2.3----RC-SNAPSHOT.12.9.1--.12+788", 1, 2, 3, "---RC-SNAPSHOT.12.9.1--.12")]
    [InlineData("1.0.0+0.build.1-rc.10000aaa-kk-0.1", 1, 0, 0, null)]
    [InlineData("2147483647.0.0", int.MaxValue, 0, 0, null)]
    public void Valid_forms_parse_into_their_parts(string text, int major, int minor, int patch, string? pre)
    {
        var v = Parse(text);
        Assert.Equal(major, v.Major);
        Assert.Equal(minor, v.Minor);
        Assert.Equal(patch, v.Patch);
        Assert.Equal(pre, v.PreRelease);
        Assert.Equal(pre is not null, v.IsPreRelease);

        Assert.True(SemVer.TryParse(text.AsSpan(), out var fromSpan));
        Assert.Equal(v, fromSpan);
        Assert.Equal(pre, fromSpan.PreRelease);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1.2")]
    [InlineData("1.2.3.4")]
    [InlineData("01.2.3")]
    [InlineData("1.02.3")]
    [InlineData("1.2.03")]
    [InlineData("1.2.3-")]
    [InlineData("1.2.3+")]
    [InlineData("1.2.3-01")]
    [InlineData("1.2.3-beta.01")]
    [InlineData("1.2.3-a..b")]
    [InlineData("1.2.3-a.")]
    [InlineData("1.2.3-a_b")]
    [InlineData("1.2.3+a..b")]
    [InlineData("1.2.3+a_b")]
    [InlineData(" 1.2.3")]
    [InlineData("1.2.3 ")]
    [InlineData("v1.2.3")]
    [InlineData("-1.2.3")]
    [InlineData("1.-2.3")]
    [InlineData("a.b.c")]
    [InlineData("1.2.x")]
    [InlineData("2147483648.0.0")]
    [InlineData("99999999999.0.0")]
    [InlineData("1.2.3-beta+build+again")]
    [InlineData("1.2.3-é")]
    [InlineData("１.2.3")]
    public void Invalid_forms_are_rejected(string text)
    {
        Assert.False(SemVer.TryParse(text, out var v));
        Assert.Equal(default, v);
        Assert.False(SemVer.TryParse(text.AsSpan(), out _));
    }

    [Fact]
    public void Null_is_rejected() => Assert.False(SemVer.TryParse(null, out _));

    [Theory]
    [InlineData("v1.2.3", "1.2.3")]
    [InlineData("V1.2.3", "1.2.3")]
    [InlineData("v1.2.3-rc.1", "1.2.3-rc.1")]
    [InlineData("1.2.3", "1.2.3")]
    public void Leading_v_is_admitted_only_when_asked(string text, string expected)
    {
        Assert.True(SemVer.TryParse(text, out var v, allowLeadingV: true));
        Assert.Equal(expected, v.ToString());
    }

    [Theory]
    [InlineData("vv1.2.3")]
    [InlineData("v")]
    [InlineData("v01.2.3")]
    public void Leading_v_does_not_admit_other_errors(string text) =>
        Assert.False(SemVer.TryParse(text, out _, allowLeadingV: true));

    [Fact]
    public void Constructor_and_to_string()
    {
        Assert.Equal("5.10.0", new SemVer(5, 10, 0).ToString());
        Assert.Equal("8.35.0-beta.1", new SemVer(8, 35, 0, "beta.1").ToString());
        Assert.Null(new SemVer(1, 0, 0, "").PreRelease);
        Assert.Equal(Parse("8.35.0-beta.1"), new SemVer(8, 35, 0, "beta.1"));
    }
}
