using System.Text.Json.Nodes;

namespace Capgo.Edge.Tests.Support;

/// <summary>The sample app document and variants of it.</summary>
public static class Documents
{
    public const string AppId = "com.demo.app";
    public const string AndroidDevice = "00009a6b-eefe-490a-9c60-8e965132ae51";

    private static readonly string SamplePath = Path.Combine(AppContext.BaseDirectory, "samples", "com.demo.app.json");

    /// <summary>The sample with the beta channel pointed at <paramref name="betaBundle"/>.</summary>
    public static byte[] Sample(string betaBundle = "1.6.0-beta.1", string? appId = null, bool withOverrides = true)
    {
        var root = JsonNode.Parse(File.ReadAllText(SamplePath))!.AsObject();
        foreach (var channel in root["channels"]!.AsArray())
        {
            if ((string?)channel!["name"] == "beta")
            {
                channel["bundle"] = betaBundle;
            }
        }

        if (appId is not null)
        {
            root["app_id"] = appId;
        }

        if (!withOverrides)
        {
            root.Remove("device_overrides");
        }

        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>The Android plugin's body (shared/vectors/android-update-request.json): asks for channel beta.</summary>
    public static object AndroidCheck(string deviceId = AndroidDevice, string appId = AppId) => new Dictionary<string, object>
    {
        ["platform"] = "android",
        ["device_id"] = deviceId,
        ["app_id"] = appId,
        ["custom_id"] = "",
        ["version_build"] = "1.2.0",
        ["version_code"] = "42",
        ["version_os"] = "14",
        ["version_name"] = "1.3.1",
        ["plugin_version"] = "8.51.23",
        ["is_emulator"] = false,
        ["is_prod"] = true,
        ["install_source"] = "com.android.vending",
        ["defaultChannel"] = "beta",
    };
}
