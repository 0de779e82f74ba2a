using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Server.Updates;

/// <summary>Limits of the plugin's HTTP JSON API (section <c>HttpApi</c>).</summary>
internal sealed class HttpApiOptions
{
    public const string Section = "HttpApi";

    /// <summary>Bodies over this size are refused with 413.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Valid <c>POST /updates</c> bodies are answered from the guard's parse with cached reply bytes
    /// (true), or handed to gRPC JSON transcoding (false: the same replies, at 1.9–2.6× the in-process cost).
    /// </summary>
    public bool ServeChecksDirectly { get; set; } = true;
}
