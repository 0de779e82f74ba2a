using System.Collections.Frozen;

namespace Capgo.Edge.Server.Plugin;

/// <summary>The actions <c>POST /stats</c> accepts, exactly as plugin-endpoints.md lists them.</summary>
internal static class StatsActions
{
    /// <summary>In the order of the specification, for the error message.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        // Lifecycle.
        "ping", "delete", "reset", "set", "get", "set_fail", "update_fail", "download_fail",
        "windows_path_fail", "canonical_path_fail", "directory_path_fail", "unzip_fail", "low_mem_fail",
        "download_10", "download_20", "download_30", "download_40", "download_50", "download_60",
        "download_70", "download_80", "download_90", "download_0", "download_complete",
        "download_manifest_start", "download_manifest_complete", "download_zip_start", "download_zip_complete",
        "download_manifest_file_fail", "download_manifest_checksum_fail", "download_manifest_brotli_fail",
        "finish_download_fail", "manifest_path_fail", "decrypt_fail", "checksum_required",
        "insufficient_disk_space", "uninstall", "checksum_fail", "set_next", "os_version_changed",
        "native_app_version_changed",

        // App and web view.
        "app_moved_to_foreground", "app_moved_to_background", "app_launch_start",
        "app_launch_ready", "app_launch_timeout", "app_crash", "app_crash_native", "app_anr",
        "app_killed_low_memory", "app_killed_excessive_resource_usage", "app_initialization_failure",
        "app_memory_warning", "webview_javascript_error", "webview_unhandled_rejection",
        "webview_resource_error", "webview_security_policy_violation", "webview_unclean_restart",
        "webview_render_process_gone", "webview_content_process_terminated", "webview_dom_content_loaded",
        "webview_page_loaded",
    ];

    private static readonly FrozenSet<string> Known = All.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The 400 message for an unknown action: <c>action must be one of: …</c>.</summary>
    public static string ErrorMessage { get; } = "action must be one of: " + string.Join(", ", All);

    public static bool IsKnown(string action) => Known.Contains(action);
}
