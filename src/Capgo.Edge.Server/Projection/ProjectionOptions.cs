using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Server.Projection;

/// <summary>Where the projection comes from (section <c>Projection</c>).</summary>
internal sealed class ProjectionOptions
{
    public const string Section = "Projection";

    /// <summary>Standalone mode: the folder of <c>*.json</c> app documents. Defaults to the shipped sample.</summary>
    [Required]
    public string Directory { get; set; } = Path.Combine(AppContext.BaseDirectory, "samples", "projection");

    /// <summary>How often the folder is rescanned, in case a file-system event was missed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Writes what the edge serves into the folder's <c>.capgo-edge/edges/</c>, so release commands can
    /// confirm a change (<c>--wait</c>); off for a read-only folder.
    /// </summary>
    public bool Acknowledge { get; set; } = true;
}
