using System.Text.Json.Nodes;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>Channel changes to an app document; the publish validates the result (bundles exist, one public channel per platform).</summary>
public static class ChannelEdits
{
    /// <summary>The channel name that means "the bundle shipped in the binary" (<c>bundle: null</c>).</summary>
    public const string Builtin = "builtin";

    /// <summary>Adds a channel; refused when one of that name exists.</summary>
    public static void Add(JsonObject document, string name, ChannelPolicy policy, string? bundle = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var channels = Documents.Channels(document);
        if (Documents.Find(channels, name) is not null)
        {
            throw new PublishException($"channel {name} already exists");
        }

        var channel = new JsonObject { ["name"] = name, ["bundle"] = BundleValue(bundle) };
        policy.ApplyTo(channel);
        channels.Add(channel);
    }

    /// <summary>Changes a channel's bundle (when given) and the policy fields the policy sets.</summary>
    public static void Set(JsonObject document, string name, ChannelPolicy policy, string? bundle = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var channel = Get(document, name);
        if (bundle is not null)
        {
            channel["bundle"] = BundleValue(bundle);
        }

        policy.ApplyTo(channel);
    }

    /// <summary>Deletes a channel.</summary>
    public static void Delete(JsonObject document, string name) =>
        Documents.Channels(document).Remove(Get(document, name));

    /// <summary>The channel, or a refusal naming it.</summary>
    internal static JsonObject Get(JsonObject document, string name) =>
        Documents.Find(Documents.Channels(document), name) ?? throw new PublishException($"channel {name} does not exist");

    private static JsonValue? BundleValue(string? bundle) => bundle is null or Builtin ? null : JsonValue.Create(bundle);
}
