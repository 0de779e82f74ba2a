namespace Capgo.Edge.Core;

// One value type, past the ~250-line mark on purpose: parsing and the precedence rules it must
// agree with (semver.org §9–§11) are read together.

/// <summary>
/// A semantic version (semver.org 2.0.0). Build metadata is accepted and ignored for precedence.
/// Parsing a plain <c>X.Y.Z</c> allocates nothing; a pre-release keeps its text for comparison.
/// </summary>
public readonly struct SemVer : IEquatable<SemVer>, IComparable<SemVer>
{
    public SemVer(int major, int minor, int patch, string? preRelease = null)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        PreRelease = string.IsNullOrEmpty(preRelease) ? null : preRelease;
    }

    public int Major { get; }
    public int Minor { get; }
    public int Patch { get; }

    /// <summary>The pre-release identifiers (without the dash), or null for a release.</summary>
    public string? PreRelease { get; }

    public bool IsPreRelease => PreRelease is not null;

    /// <summary>Parses strict semver; <paramref name="allowLeadingV"/> admits one leading <c>v</c>.</summary>
    public static bool TryParse(string? text, out SemVer version, bool allowLeadingV = false)
    {
        version = default;
        if (text is null)
        {
            return false;
        }

        return TryParse(text.AsSpan(), text, out version, allowLeadingV);
    }

    public static bool TryParse(ReadOnlySpan<char> text, out SemVer version, bool allowLeadingV = false) =>
        TryParse(text, null, out version, allowLeadingV);

    private static bool TryParse(ReadOnlySpan<char> s, string? source, out SemVer version, bool allowLeadingV)
    {
        version = default;
        if (allowLeadingV && s.Length > 0 && (s[0] == 'v' || s[0] == 'V'))
        {
            s = s[1..];
        }

        if (!TryReadNumber(ref s, out var major) || !TryConsume(ref s, '.') ||
            !TryReadNumber(ref s, out var minor) || !TryConsume(ref s, '.') ||
            !TryReadNumber(ref s, out var patch))
        {
            return false;
        }

        string? pre = null;
        if (s.Length > 0 && s[0] == '-')
        {
            var end = s.IndexOf('+');
            var preSpan = end < 0 ? s[1..] : s[1..end];
            if (!IsValidIdentifiers(preSpan, numericNoLeadingZero: true))
            {
                return false;
            }

            if (source is not null)
            {
                var start = source.Length - s.Length + 1;
                pre = source.Substring(start, preSpan.Length);
            }
            else
            {
                pre = preSpan.ToString();
            }

            s = end < 0 ? [] : s[end..];
        }

        if (s.Length > 0)
        {
            if (s[0] != '+' || !IsValidIdentifiers(s[1..], numericNoLeadingZero: false))
            {
                return false;
            }
        }

        version = new SemVer(major, minor, patch, pre);
        return true;
    }

    private static bool TryConsume(ref ReadOnlySpan<char> s, char c)
    {
        if (s.Length == 0 || s[0] != c)
        {
            return false;
        }

        s = s[1..];
        return true;
    }

    private static bool TryReadNumber(ref ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        var i = 0;
        long acc = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            acc = (acc * 10) + (s[i] - '0');
            if (acc > int.MaxValue)
            {
                return false;
            }

            i++;
        }

        // Leading zeros are not semver.
        if (i == 0 || (i > 1 && s[0] == '0'))
        {
            return false;
        }

        value = (int)acc;
        s = s[i..];
        return true;
    }

    private static bool IsValidIdentifiers(ReadOnlySpan<char> s, bool numericNoLeadingZero)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        foreach (var range in s.Split('.'))
        {
            var id = s[range];
            if (id.IsEmpty)
            {
                return false;
            }

            var allDigits = true;
            foreach (var c in id)
            {
                if (char.IsAsciiDigit(c))
                {
                    continue;
                }

                allDigits = false;
                if (!char.IsAsciiLetter(c) && c != '-')
                {
                    return false;
                }
            }

            if (numericNoLeadingZero && allDigits && id.Length > 1 && id[0] == '0')
            {
                return false;
            }
        }

        return true;
    }

    public int CompareTo(SemVer other)
    {
        var c = Major.CompareTo(other.Major);
        if (c != 0)
        {
            return c;
        }

        c = Minor.CompareTo(other.Minor);
        if (c != 0)
        {
            return c;
        }

        c = Patch.CompareTo(other.Patch);
        if (c != 0)
        {
            return c;
        }

        return ComparePreRelease(PreRelease, other.PreRelease);
    }

    private static int ComparePreRelease(string? a, string? b)
    {
        if (a is null)
        {
            return b is null ? 0 : 1;
        }

        if (b is null)
        {
            return -1;
        }

        var x = a.AsSpan();
        var y = b.AsSpan();
        while (true)
        {
            if (x.IsEmpty || y.IsEmpty)
            {
                return x.IsEmpty ? (y.IsEmpty ? 0 : -1) : 1;
            }

            var xi = x.IndexOf('.');
            var yi = y.IndexOf('.');
            var xa = xi < 0 ? x : x[..xi];
            var ya = yi < 0 ? y : y[..yi];
            var c = CompareIdentifier(xa, ya);
            if (c != 0)
            {
                return c;
            }

            x = xi < 0 ? [] : x[(xi + 1)..];
            y = yi < 0 ? [] : y[(yi + 1)..];
            if (xi < 0 && yi >= 0)
            {
                return -1;
            }

            if (yi < 0 && xi >= 0)
            {
                return 1;
            }
        }
    }

    private static int CompareIdentifier(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var an = IsNumeric(a);
        var bn = IsNumeric(b);
        if (an && bn)
        {
            return a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.SequenceCompareTo(b);
        }

        if (an != bn)
        {
            // Numeric identifiers have lower precedence than alphanumeric ones.
            return an ? -1 : 1;
        }

        return Math.Sign(a.SequenceCompareTo(b));
    }

    private static bool IsNumeric(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public bool Equals(SemVer other) => CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is SemVer other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch, PreRelease);

    public override string ToString() =>
        PreRelease is null ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{PreRelease}";

    public static bool operator ==(SemVer left, SemVer right) => left.Equals(right);
    public static bool operator !=(SemVer left, SemVer right) => !left.Equals(right);
    public static bool operator <(SemVer left, SemVer right) => left.CompareTo(right) < 0;
    public static bool operator >(SemVer left, SemVer right) => left.CompareTo(right) > 0;
    public static bool operator <=(SemVer left, SemVer right) => left.CompareTo(right) <= 0;
    public static bool operator >=(SemVer left, SemVer right) => left.CompareTo(right) >= 0;
}
