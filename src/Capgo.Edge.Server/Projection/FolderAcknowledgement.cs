using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Projection;

/// <summary>
/// A standalone edge's acknowledgement in its projection folder (<see cref="ProjectionFolder"/>): which
/// content it serves per app, rewritten atomically, so a release command's <c>--wait</c> can confirm a
/// change. Rewritten at least every <see cref="Interval"/>, it doubles as the edge's heartbeat.
/// </summary>
internal sealed partial class FolderAcknowledgement(string directory, string edgeName, bool enabled, TimeProvider time, ILogger logger)
{
    private bool _failed;

    public static TimeSpan Interval { get; } = TimeSpan.FromSeconds(5);

    /// <summary>The content hash served per app.</summary>
    public Dictionary<string, string> Served { get; } = new(StringComparer.Ordinal);

    /// <summary>Rewrites the acknowledgement; a folder it cannot write is logged once and then left alone.</summary>
    public void Write()
    {
        if (!enabled || _failed || !Directory.Exists(directory))
        {
            return;
        }

        try
        {
            var file = ProjectionFolder.EdgeFile(directory, edgeName);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temporary = file + ".tmp";
            File.WriteAllBytes(temporary, ProjectionFolder.EncodeAck(edgeName, time.GetUtcNow(), Served));
            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _failed = true;
            LogAckFailed(logger, directory, ex.Message);
        }
    }

    /// <summary>Removes the acknowledgement when the edge stops, so it does not count as lagging.</summary>
    public void Remove()
    {
        if (!enabled || _failed)
        {
            return;
        }

        try
        {
            File.Delete(ProjectionFolder.EdgeFile(directory, edgeName));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A stale acknowledgement ages out: release commands ignore edges silent for 15 s.
        }
    }

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Cannot acknowledge in {Directory}: {Reason}; release commands' --wait will not see this edge")]
    private static partial void LogAckFailed(ILogger logger, string directory, string reason);
}
