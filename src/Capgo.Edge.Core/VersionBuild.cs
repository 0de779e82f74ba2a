namespace Capgo.Edge.Core;

/// <summary>Reserved bundle names.</summary>
public static class Names
{
    public const string Builtin = "builtin";
    public const string Unknown = "unknown";

    public static bool IsReserved(string? name) => name is Builtin or Unknown;
}

/// <summary>The <c>version_build</c> normalisation of update-check.md §1.</summary>
public static class VersionBuild
{
    public static bool TryNormalize(string value, out string normalized, out SemVer version)
    {
        // Plain X.Y.Z (the common case) is already normal and allocates nothing.
        if (SemVer.TryParse(value, out version))
        {
            normalized = value;
            return true;
        }

        var candidate = value;
        if (value is Names.Builtin or Names.Unknown)
        {
            candidate = "0.0.0";
        }
        else
        {
            var dots = value.AsSpan().Count('.');
            candidate = dots switch
            {
                0 => value + ".0.0",
                1 => value + ".0",
                _ => value,
            };
        }

        if (!SemVer.TryParse(candidate, out version, allowLeadingV: true))
        {
            normalized = value;
            return false;
        }

        normalized = candidate.Length > 0 && candidate[0] is 'v' or 'V' ? candidate[1..] : candidate;
        return true;
    }
}
