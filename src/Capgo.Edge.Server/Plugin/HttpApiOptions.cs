using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Server.Plugin;

/// <summary>Limits of the plugin's HTTP JSON API (section <c>HttpApi</c>).</summary>
internal sealed class HttpApiOptions
{
    public const string Section = "HttpApi";

    /// <summary>Bodies over this size are refused with 413.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;
}
