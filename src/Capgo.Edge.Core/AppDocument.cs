using System.Collections.Frozen;
using System.Text.Json;

namespace Capgo.Edge.Core;

// One reader of one document, past the ~250-line mark on purpose: the rules run in the order
// projection.md §1 lists them, and the field readers at the bottom serve only them.

/// <summary>Reads and validates the app document of projection.md §1 into an <see cref="AppSnapshot"/>.</summary>
public static class AppDocument
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    /// <summary>Parses a whole document; throws <see cref="ProjectionException"/> naming the field on any error.</summary>
    public static AppSnapshot Parse(ReadOnlySpan<byte> utf8Json, long generation)
    {
        JsonDocument document;
        var source = utf8Json.ToArray();
        try
        {
            document = JsonDocument.Parse(source, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new ProjectionException("$", $"not valid JSON ({ex.Message})");
        }

        using (document)
        {
            try
            {
                return Build(document.RootElement, generation, source);
            }
            catch (InvalidOperationException ex)
            {
                // A string JSON accepts but .NET cannot decode (a lone surrogate escape such as "\ud800").
                throw new ProjectionException("$", $"holds a string that is not valid Unicode ({ex.Message})");
            }
        }
    }

    private static AppSnapshot Build(JsonElement root, long generation, byte[] source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ProjectionException("$", "must be a JSON object");
        }

        var appId = RequiredString(root, "app_id", "app_id");
        if (!AppIds.IsValid(appId))
        {
            throw new ProjectionException("app_id", $"'{appId}' is not a reverse-domain app id");
        }

        var status = OptionalString(root, "status", "status") ?? "active";
        var exposeMetadata = OptionalBool(root, "expose_metadata", "expose_metadata", false);

        var bundles = new Dictionary<string, Bundle>(StringComparer.Ordinal);
        if (root.TryGetProperty("bundles", out var bundlesElement) && bundlesElement.ValueKind != JsonValueKind.Null)
        {
            if (bundlesElement.ValueKind != JsonValueKind.Array)
            {
                throw new ProjectionException("bundles", "must be an array");
            }

            var i = 0;
            foreach (var element in bundlesElement.EnumerateArray())
            {
                var bundle = ReadBundle(element, $"bundles[{i}]");
                if (!bundles.TryAdd(bundle.Name, bundle))
                {
                    throw new ProjectionException($"bundles[{i}].name", $"duplicate bundle name '{bundle.Name}'");
                }

                i++;
            }
        }

        var channels = new List<Channel>();
        var channelsByName = new Dictionary<string, Channel>(StringComparer.Ordinal);
        if (root.TryGetProperty("channels", out var channelsElement) && channelsElement.ValueKind != JsonValueKind.Null)
        {
            if (channelsElement.ValueKind != JsonValueKind.Array)
            {
                throw new ProjectionException("channels", "must be an array");
            }

            var i = 0;
            foreach (var element in channelsElement.EnumerateArray())
            {
                var channel = ReadChannel(element, $"channels[{i}]", bundles);
                if (!channelsByName.TryAdd(channel.Name, channel))
                {
                    throw new ProjectionException($"channels[{i}].name", $"duplicate channel name '{channel.Name}'");
                }

                channels.Add(channel);
                i++;
            }
        }

        CheckOnePublicChannelPerPlatform(channels);

        var overrides = new DeviceOverridesBuilder();
        if (root.TryGetProperty("device_overrides", out var overridesElement) && overridesElement.ValueKind != JsonValueKind.Null)
        {
            if (overridesElement.ValueKind != JsonValueKind.Object)
            {
                throw new ProjectionException("device_overrides", "must be an object of device id → channel name");
            }

            foreach (var property in overridesElement.EnumerateObject())
            {
                var path = $"device_overrides[\"{property.Name}\"]";
                if (!DeviceIds.IsValid(property.Name))
                {
                    throw new ProjectionException(path, "device id must be a UUID");
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ProjectionException(path, "must be a channel name (string)");
                }

                var channelName = property.Value.GetString()!;
                if (!channelsByName.TryGetValue(channelName, out var channel))
                {
                    throw new ProjectionException(path, $"unknown channel '{channelName}'");
                }

                overrides.Add(property.Name, channel.Name);
            }
        }

        // Sorted once, all pins at hand; a device named twice (in any case) is found side by side,
        // and reported as the document spells its second mention.
        if (!overrides.TryBuild(out var pins, out var duplicate))
        {
            var second = overridesElement.EnumerateObject().Where(p => Guid.Parse(p.Name) == duplicate).ElementAt(1);
            throw new ProjectionException($"device_overrides[\"{second.Name}\"]", "duplicate device id");
        }

        var sorted = channels.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new AppSnapshot(
            appId,
            string.Equals(status, "active", StringComparison.Ordinal),
            status,
            exposeMetadata,
            bundles.ToFrozenDictionary(StringComparer.Ordinal),
            sorted,
            channelsByName.ToFrozenDictionary(StringComparer.Ordinal),
            pins,
            generation,
            source);
    }

    private static void CheckOnePublicChannelPerPlatform(List<Channel> channels)
    {
        for (var p = 0; p < PlatformNames.Count; p++)
        {
            Channel? first = null;
            foreach (var channel in channels)
            {
                if (!channel.IsPublic || !channel.IsEnabledFor((Platform)p))
                {
                    continue;
                }

                if (first is not null)
                {
                    throw new ProjectionException(
                        $"channels[{channels.IndexOf(channel)}].public",
                        $"channels '{first.Name}' and '{channel.Name}' are both public for {PlatformNames.Name((Platform)p)}");
                }

                first = channel;
            }
        }
    }

    private static Bundle ReadBundle(JsonElement e, string path)
    {
        RequireObject(e, path);
        var name = RequiredString(e, "name", path + ".name");
        if (Names.IsReserved(name))
        {
            throw new ProjectionException(path + ".name", $"'{name}' is a reserved bundle name");
        }

        var minUpdate = OptionalString(e, "min_update_version", path + ".min_update_version");
        if (minUpdate is not null && !SemVer.TryParse(minUpdate, out _))
        {
            throw new ProjectionException(path + ".min_update_version", $"'{minUpdate}' is not semver");
        }

        var manifest = new List<ManifestFile>();
        if (e.TryGetProperty("manifest", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.Array)
            {
                throw new ProjectionException(path + ".manifest", "must be an array");
            }

            var i = 0;
            foreach (var file in m.EnumerateArray())
            {
                var filePath = $"{path}.manifest[{i}]";
                RequireObject(file, filePath);
                manifest.Add(new ManifestFile(
                    RequiredString(file, "file_name", filePath + ".file_name"),
                    RequiredString(file, "file_hash", filePath + ".file_hash"),
                    RequiredString(file, "download_url", filePath + ".download_url")));
                i++;
            }
        }

        return new Bundle(
            name,
            OptionalString(e, "url", path + ".url") is { Length: > 0 } url ? url : null,
            OptionalString(e, "checksum", path + ".checksum") ?? "",
            OptionalString(e, "session_key", path + ".session_key") ?? "",
            OptionalString(e, "key_id", path + ".key_id"),
            minUpdate,
            OptionalString(e, "link", path + ".link"),
            OptionalString(e, "comment", path + ".comment"),
            OptionalBool(e, "deleted", path + ".deleted", false),
            manifest.ToArray());
    }

    private static Channel ReadChannel(JsonElement e, string path, Dictionary<string, Bundle> bundles)
    {
        RequireObject(e, path);
        var name = RequiredString(e, "name", path + ".name");
        var bundle = ResolveBundle(OptionalString(e, "bundle", path + ".bundle"), path + ".bundle", bundles);

        var policyText = OptionalString(e, "disable_auto_update", path + ".disable_auto_update") ?? "major";
        var policy = policyText switch
        {
            "none" => AutoUpdatePolicy.None,
            "major" => AutoUpdatePolicy.Major,
            "minor" => AutoUpdatePolicy.Minor,
            "patch" => AutoUpdatePolicy.Patch,
            "version_number" => AutoUpdatePolicy.VersionNumber,
            _ => throw new ProjectionException(
                path + ".disable_auto_update",
                $"'{policyText}' is not one of none, major, minor, patch, version_number"),
        };

        Rollout? rollout = null;
        if (e.TryGetProperty("rollout", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            var rp = path + ".rollout";
            RequireObject(r, rp);
            var id = RequiredString(r, "id", rp + ".id");
            var rolloutBundleName = RequiredString(r, "bundle", rp + ".bundle");
            var rolloutBundle = ResolveBundle(rolloutBundleName, rp + ".bundle", bundles)!;
            if (!r.TryGetProperty("percentage_bps", out var bps) || bps.ValueKind != JsonValueKind.Number ||
                !bps.TryGetInt32(out var share) || share is < 0 or > RolloutBucket.Buckets)
            {
                throw new ProjectionException(rp + ".percentage_bps", "must be an integer from 0 to 10000");
            }

            rollout = new Rollout(
                id,
                rolloutBundle,
                share,
                OptionalBool(r, "enabled", rp + ".enabled", true),
                OptionalBool(r, "paused", rp + ".paused", false));
        }

        return new Channel(
            name,
            bundle,
            OptionalBool(e, "public", path + ".public", false),
            OptionalBool(e, "allow_device_self_set", path + ".allow_device_self_set", false),
            OptionalBool(e, "ios", path + ".ios", true),
            OptionalBool(e, "android", path + ".android", true),
            OptionalBool(e, "electron", path + ".electron", true),
            OptionalBool(e, "allow_emulator", path + ".allow_emulator", true),
            OptionalBool(e, "allow_device", path + ".allow_device", true),
            OptionalBool(e, "allow_dev", path + ".allow_dev", true),
            OptionalBool(e, "allow_prod", path + ".allow_prod", true),
            policy,
            OptionalBool(e, "disable_auto_update_under_native", path + ".disable_auto_update_under_native", true),
            rollout);
    }

    private static Bundle? ResolveBundle(string? name, string path, Dictionary<string, Bundle> bundles)
    {
        if (name is null)
        {
            return null;
        }

        return bundles.TryGetValue(name, out var bundle)
            ? bundle
            : throw new ProjectionException(path, $"unknown bundle '{name}'");
    }

    private static void RequireObject(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new ProjectionException(path, "must be an object");
        }
    }

    private static string RequiredString(JsonElement e, string name, string path) =>
        OptionalString(e, name, path) is { Length: > 0 } value
            ? value
            : throw new ProjectionException(path, "is required (a non-empty string)");

    private static string? OptionalString(JsonElement e, string name, string path)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new ProjectionException(path, $"must be a string, not {value.ValueKind}");
    }

    private static bool OptionalBool(JsonElement e, string name, string path, bool defaultValue)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return defaultValue;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ProjectionException(path, $"must be a boolean, not {value.ValueKind}"),
        };
    }
}
