using System.Runtime.CompilerServices;

namespace Capgo.Edge.Core;

/// <summary>Validates and normalises an update check (update-check.md §1), in the contract's order.</summary>
public static class RequestValidator
{
    public const int MaxDeviceIdLength = FieldRules.MaxDeviceIdLength;
    public const int MaxInstallSourceLength = FieldRules.MaxInstallSourceLength;
    public const int MaxKeyIdLength = FieldRules.MaxKeyIdLength;

    /// <summary>Returns null and the normalised check when the request is valid, else the error to answer.</summary>
    /// <remarks>
    /// Inlined, so the check is returned into the caller's own stack variable: written through the
    /// <c>out</c> parameter from inside the large method, the struct (eight references) would be copied
    /// with GC write barriers (<c>Buffer.BulkMoveWithWriteBarrier</c>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RequestError? Validate(in RawUpdateCheck raw, out UpdateCheck check)
    {
        check = Normalize(raw, out var error);
        return error;
    }

    private static UpdateCheck Normalize(in RawUpdateCheck raw, out RequestError? error)
    {
        error = null;
        if (raw.IsEmpty)
        {
            error = RequestError.EmptyBody;
            return default;
        }

        if (IsMissing(raw.DeviceId, raw.WrongType, CheckFields.DeviceId))
        {
            error = RequestError.MissingDeviceId;
            return default;
        }

        if (IsMissing(raw.AppId, raw.WrongType, CheckFields.AppId))
        {
            error = RequestError.MissingAppId;
            return default;
        }

        string? versionBuild = null;
        var nativeVersion = default(SemVer);
        if (!string.IsNullOrEmpty(raw.VersionBuild))
        {
            if (!VersionBuild.TryNormalize(raw.VersionBuild, out versionBuild, out nativeVersion))
            {
                error = RequestError.Semver(raw.VersionBuild);
                return default;
            }
        }

        List<FieldProblem>? issues = null;
        var wrong = raw.WrongType;

        if (Wrong(wrong, CheckFields.AppId) || !AppIds.IsValid(raw.AppId))
        {
            Add(ref issues, FieldRules.AppId);
        }

        if (Wrong(wrong, CheckFields.DeviceId) || !DeviceIds.IsValid(raw.DeviceId))
        {
            Add(ref issues, FieldRules.DeviceId);
        }

        if (Wrong(wrong, CheckFields.VersionName) || string.IsNullOrEmpty(raw.VersionName))
        {
            Add(ref issues, new FieldProblem("version_name", "Version name must be a non-empty string"));
        }

        if (Wrong(wrong, CheckFields.VersionBuild) || versionBuild is null)
        {
            Add(ref issues, new FieldProblem("version_build", "Native version must be a non-empty string"));
        }

        var platform = default(Platform);
        if (Wrong(wrong, CheckFields.Platform) || !PlatformNames.TryParse(raw.Platform, out platform))
        {
            Add(ref issues, FieldRules.Platform);
        }

        var pluginVersion = default(SemVer);
        if (Wrong(wrong, CheckFields.PluginVersion) || !SemVer.TryParse(raw.PluginVersion, out pluginVersion))
        {
            Add(ref issues, new FieldProblem("plugin_version", "Plugin version must be a valid semver version"));
        }

        if (Wrong(wrong, CheckFields.IsEmulator))
        {
            Add(ref issues, FieldRules.ExpectedBoolean("is_emulator"));
        }

        if (Wrong(wrong, CheckFields.IsProd))
        {
            Add(ref issues, FieldRules.ExpectedBoolean("is_prod"));
        }

        if (Wrong(wrong, CheckFields.DefaultChannel))
        {
            Add(ref issues, FieldRules.ExpectedString("defaultChannel"));
        }

        if (Wrong(wrong, CheckFields.InstallSource) || raw.InstallSource?.Length > MaxInstallSourceLength)
        {
            Add(ref issues, FieldRules.InstallSource);
        }

        if (Wrong(wrong, CheckFields.KeyId) || raw.KeyId?.Length > MaxKeyIdLength)
        {
            Add(ref issues, FieldRules.KeyId);
        }

        if (Wrong(wrong, CheckFields.CustomId))
        {
            Add(ref issues, FieldRules.ExpectedString("custom_id"));
        }

        if (Wrong(wrong, CheckFields.VersionCode))
        {
            Add(ref issues, FieldRules.ExpectedString("version_code"));
        }

        if (Wrong(wrong, CheckFields.VersionOs))
        {
            Add(ref issues, FieldRules.ExpectedString("version_os"));
        }

        if (issues is not null)
        {
            error = RequestError.Invalid(issues);
            return default;
        }

        // A device on the bundle shipped in the binary reports the native version as its bundle.
        var versionName = raw.VersionName == Names.Builtin ? versionBuild! : raw.VersionName!;
        return new UpdateCheck(
            raw.AppId!,
            raw.DeviceId!,
            versionName,
            versionBuild!,
            nativeVersion,
            platform,
            raw.PluginVersion!,
            pluginVersion,
            raw.IsEmulator ?? false,
            raw.IsProd ?? true,
            string.IsNullOrEmpty(raw.DefaultChannel) ? null : raw.DefaultChannel,
            string.IsNullOrEmpty(raw.KeyId) ? null : raw.KeyId);
    }

    private static bool IsMissing(string? value, CheckFields wrong, CheckFields field) =>
        string.IsNullOrEmpty(value) && (wrong & field) == 0;

    private static bool Wrong(CheckFields wrong, CheckFields field) => (wrong & field) != 0;

    private static void Add(ref List<FieldProblem>? issues, FieldProblem problem) => (issues ??= []).Add(problem);
}
