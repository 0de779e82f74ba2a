namespace Capgo.Edge.Core;

/// <summary>
/// The update decision of update-check.md §2, in its exact order: a pure function of an immutable
/// app snapshot and a validated check. It allocates nothing.
/// </summary>
public static class UpdateDecider
{
    /// <summary>The URL offered for a bundle that has a manifest but no zip.</summary>
    public const string NoZipPlaceholderUrl = "https://404.capgo.app/no.zip";

    private static readonly SemVer KeyIdCheckAfter = new(8, 40, 7);
    private static readonly SemVer BuiltinRevertSince = new(6, 2, 0);

    public static UpdateDecision Decide(AppSnapshot? app, in UpdateCheck check)
    {
        // 1. App known and active.
        if (app is null || !app.IsActive)
        {
            return new UpdateDecision(Outcome.OnPremiseApp);
        }

        // 2. Plugin v4 is refused; older majors are not.
        if (check.PluginVersion.Major == 4)
        {
            return new UpdateDecision(Outcome.UnsupportedPluginVersion);
        }

        // 3. Channel: a visible override wins over the default candidate.
        var source = ChannelSource.Override;
        if (!app.TryGetOverride(check.DeviceId, out var channel) || !channel.IsVisible)
        {
            channel = DefaultChannel(app, check, out source);
        }

        if (channel is null)
        {
            return new UpdateDecision(Outcome.NoChannel);
        }

        // 4. V: the channel's bundle, or the rollout's for devices inside it.
        var bundle = channel.Bundle;
        var bucket = -1;
        var inRollout = false;
        var rollout = channel.Rollout;
        if (rollout is not null && rollout.IsLive)
        {
            bucket = RolloutBucket.Compute(rollout.Id, check.DeviceId);
            if (rollout.Paused)
            {
                // Paused: only devices already on the rollout bundle keep it.
                inRollout = string.Equals(check.VersionName, rollout.Bundle.Name, StringComparison.Ordinal);
            }
            else
            {
                inRollout = RolloutBucket.IsIn(bucket, rollout.ShareBps);
            }

            if (inRollout)
            {
                bundle = rollout.Bundle;
            }
        }

        var isBuiltin = bundle is null;
        var versionName = bundle?.Name ?? Names.Builtin;

        // 5. Nothing to download.
        if (bundle is not null && !bundle.IsDownloadable)
        {
            return new UpdateDecision(Outcome.NoBundle, channel, source, bundle, rolloutBucket: bucket, inRollout: inRollout);
        }

        // 6. Encryption key mismatch.
        if (bundle is not null && check.KeyId is not null && bundle.KeyId is not null &&
            !string.Equals(check.KeyId, bundle.KeyId, StringComparison.Ordinal) &&
            check.PluginVersion > KeyIdCheckAfter)
        {
            return new UpdateDecision(Outcome.KeyIdMismatch, channel, source, bundle, rolloutBucket: bucket, inRollout: inRollout);
        }

        // 7. Up to date: plain string equality; any other difference (downgrades too) is an offer.
        if (string.Equals(check.VersionName, versionName, StringComparison.Ordinal))
        {
            return new UpdateDecision(Outcome.NoNewVersionAvailable, channel, source, bundle, rolloutBucket: bucket, inRollout: inRollout);
        }

        // 8. Channel policies.
        var blocked = CheckPolicies(channel, bundle, check, out var oldIsNative, out var major);
        if (blocked != Outcome.UpdateAvailable)
        {
            var old = blocked == Outcome.MisconfiguredChannel ? null : oldIsNative ? check.VersionBuild : check.VersionName;
            var version = blocked == Outcome.MisconfiguredChannel ? null : versionName;
            return new UpdateDecision(blocked, channel, source, bundle, version, old, major, bucket, inRollout);
        }

        // 9. Builtin target.
        if (isBuiltin)
        {
            var outcome = check.PluginVersion >= BuiltinRevertSince ? Outcome.AlreadyOnBuiltin : Outcome.RevertToBuiltinPluginVersionTooOld;
            return new UpdateDecision(outcome, channel, source, null, outcome == Outcome.AlreadyOnBuiltin ? Names.Builtin : null,
                rolloutBucket: bucket, inRollout: inRollout);
        }

        // 10. Update available.
        return new UpdateDecision(
            Outcome.UpdateAvailable,
            channel,
            source,
            bundle,
            versionName,
            rolloutBucket: bucket,
            inRollout: inRollout,
            includeManifest: bundle!.Manifest.Count > 0 && PluginReadsManifest(check.PluginVersion),
            includeMetadata: app.ExposeMetadata && PluginReadsMetadata(check.PluginVersion) &&
                (!string.IsNullOrEmpty(bundle.Link) || !string.IsNullOrEmpty(bundle.Comment)));
    }

    private static Channel? DefaultChannel(AppSnapshot app, in UpdateCheck check, out ChannelSource source)
    {
        if (check.DefaultChannel is not null)
        {
            source = ChannelSource.DefaultChannel;

            // No fallback to the public channel when the named one does not qualify.
            return app.ChannelsByName.TryGetValue(check.DefaultChannel, out var named) &&
                   named.IsVisible &&
                   named.IsEnabledFor(check.Platform) &&
                   (named.IsPublic || named.AllowDeviceSelfSet)
                ? named
                : null;
        }

        source = ChannelSource.Public;
        return app.PublicChannelFor(check.Platform);
    }

    /// <summary>Returns the first policy that blocks, or <see cref="Outcome.UpdateAvailable"/>.</summary>
    private static Outcome CheckPolicies(Channel channel, Bundle? bundle, in UpdateCheck check, out bool oldIsNative, out bool major)
    {
        oldIsNative = false;
        major = false;

        if (!channel.IsEnabledFor(check.Platform))
        {
            return check.Platform switch
            {
                Platform.Ios => Outcome.DisabledPlatformIos,
                Platform.Android => Outcome.DisabledPlatformAndroid,
                _ => Outcome.DisabledPlatformElectron,
            };
        }

        // Version checks are skipped when V is builtin. Those comparing V itself need a semver V;
        // version_number compares min_update_version with VB, so it applies to any bundle.
        if (bundle is not null)
        {
            var v = bundle.Version;
            var vb = check.NativeVersion;
            var comparable = bundle.IsSemVer;
            oldIsNative = true;
            major = true;
            switch (channel.DisableAutoUpdate)
            {
                case AutoUpdatePolicy.Major when comparable && v.Major > vb.Major:
                    return Outcome.DisableAutoUpdateToMajor;
                case AutoUpdatePolicy.Minor when comparable && (v.Major != vb.Major || v.Minor != vb.Minor):
                    return Outcome.DisableAutoUpdateToMinor;
                case AutoUpdatePolicy.Patch when comparable && (v.Major != vb.Major || v.Minor != vb.Minor || v.Patch != vb.Patch):
                    return Outcome.DisableAutoUpdateToPatch;
                case AutoUpdatePolicy.VersionNumber:
                    if (bundle.MinUpdateVersion is not { } min)
                    {
                        major = false;
                        return Outcome.MisconfiguredChannel;
                    }

                    if (min > vb)
                    {
                        return Outcome.DisableAutoUpdateToMetadata;
                    }

                    break;
            }

            oldIsNative = false;
            major = false;
            if (comparable && channel.DisableAutoUpdateUnderNative && v < vb)
            {
                return Outcome.DisableAutoUpdateUnderNative;
            }
        }

        if (!channel.AllowProd && check.IsProd)
        {
            return Outcome.DisableProdBuild;
        }

        if (!channel.AllowDev && !check.IsProd)
        {
            return Outcome.DisableDevBuild;
        }

        if (!channel.AllowDevice && !check.IsEmulator)
        {
            return Outcome.DisableDevice;
        }

        if (!channel.AllowEmulator && check.IsEmulator)
        {
            return Outcome.DisableEmulator;
        }

        return Outcome.UpdateAvailable;
    }

    /// <summary>Manifests: ≥ 5.10.0 for major 5, ≥ 6.25.0 for 6, ≥ 7.0.35 for 7, any 8+.</summary>
    public static bool PluginReadsManifest(SemVer plugin) => plugin.Major switch
    {
        5 => plugin >= new SemVer(5, 10, 0),
        6 => plugin >= new SemVer(6, 25, 0),
        7 => plugin >= new SemVer(7, 0, 35),
        _ => plugin.Major >= 8,
    };

    /// <summary>Link and comment: ≥ x.35.0 of the plugin's own major; pre-releases of x.35.0 are below.</summary>
    public static bool PluginReadsMetadata(SemVer plugin) => plugin >= new SemVer(plugin.Major, 35, 0);
}
