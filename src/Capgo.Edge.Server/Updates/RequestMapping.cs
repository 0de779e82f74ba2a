using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Updates;

/// <summary>Maps the typed gRPC request onto the transport-neutral raw check.</summary>
internal static class RequestMapping
{
    public static RawUpdateCheck ToRaw(UpdateRequest request) => new()
    {
        AppId = request.HasAppId ? request.AppId : null,
        DeviceId = request.HasDeviceId ? request.DeviceId : null,
        VersionName = request.HasVersionName ? request.VersionName : null,
        VersionBuild = request.HasVersionBuild ? request.VersionBuild : null,
        Platform = request.HasPlatform ? request.Platform : null,
        PluginVersion = request.HasPluginVersion ? request.PluginVersion : null,
        IsEmulator = request.HasIsEmulator ? request.IsEmulator : null,
        IsProd = request.HasIsProd ? request.IsProd : null,
        DefaultChannel = request.HasDefaultChannel ? request.DefaultChannel : null,
        InstallSource = request.HasInstallSource ? request.InstallSource : null,
        KeyId = request.HasKeyId ? request.KeyId : null,
        CustomId = request.HasCustomId ? request.CustomId : null,
        VersionCode = request.HasVersionCode ? request.VersionCode : null,
        VersionOs = request.HasVersionOs ? request.VersionOs : null,
        // No field at all: the gRPC form of an empty JSON object. Flags only, no size computation.
        IsEmpty = !(request.HasAppId || request.HasDeviceId || request.HasVersionName || request.HasVersionBuild ||
                    request.HasPlatform || request.HasPluginVersion || request.HasIsEmulator || request.HasIsProd ||
                    request.HasDefaultChannel || request.HasInstallSource || request.HasKeyId || request.HasCustomId ||
                    request.HasVersionCode || request.HasVersionOs),
    };
}
