using System.Text.Json.Nodes;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>The shared plugin vectors (a verbatim copy of <c>../shared/vectors</c>, see <c>Vectors/README.md</c>).</summary>
internal static class Vectors
{
    public const string AndroidRequest = "android-update-request.json";
    public const string IosRequest = "ios-update-request.json";
    public const string IosEncryptedRequest = "ios-update-request-encrypted.json";
    public const string OldPluginRequest = "old-plugin-update-request.json";
    public const string ReplyUpdateAvailable = "reply-update-available.json";
    public const string ReplyUpdateAvailableManifest = "reply-update-available-manifest.json";
    public const string ReplyUpToDate = "reply-up-to-date.json";
    public const string ReplyBlockedMajor = "reply-blocked-major.json";
    public const string ReplyUnknownApp429 = "reply-unknown-app-429.json";
    public const string ReplyBadInput400 = "reply-bad-input-400.json";

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Vectors");

    /// <summary>The exact bytes of a vector file.</summary>
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static JsonObject Object(string name) =>
        JsonNode.Parse(Bytes(name)) as JsonObject ?? throw new InvalidOperationException($"{name} is not a JSON object");

    /// <summary>Every request vector (<c>*-request*.json</c>).</summary>
    public static IEnumerable<string> RequestNames() =>
        System.IO.Directory.EnumerateFiles(Directory, "*-request*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;
}
