using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane;

/// <summary>
/// Where app documents are published: Redis for a fleet of edges (<see cref="Stores.RedisAppStore"/>), or a
/// projection folder a standalone edge reads (<see cref="Stores.FolderAppStore"/>). The release operations
/// work the same on both: a compare-and-set write of one document with its history and audit entries,
/// the channel history, and a wait for the edges to serve what was written.
/// </summary>
public abstract class AppStore
{
    /// <summary>The app's document as stored and its generation; null when it is not published.</summary>
    public abstract Task<(JsonObject Document, long Generation)?> ReadAsync(string appId);

    /// <summary>
    /// The app's whole current document, device overrides included, as JSON a publish accepts unchanged;
    /// null when not published.
    /// </summary>
    public abstract Task<byte[]?> GetDocumentAsync(string appId);

    /// <summary>The channel's history entries (JSON objects), newest first.</summary>
    public abstract Task<IReadOnlyList<string>> ReadHistoryAsync(string appId, string channel);

    /// <summary>
    /// Waits until every live edge serves <paramref name="generation"/> of the app (or newer), reporting
    /// each poll's state to <paramref name="progress"/>.
    /// </summary>
    public abstract Task<WaitResult> WaitForEdgesAsync(string appId, long generation, TimeSpan timeout, IProgress<WaitResult>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the validated document if the app is still at <paramref name="expectedGeneration"/> (0: not
    /// published), with the change's entries; otherwise <see cref="StaleGenerationException"/>, nothing written.
    /// </summary>
    /// <returns>The document's new generation.</returns>
    internal abstract Task<long> WriteAsync(ReadOnlyMemory<byte> document, AppSnapshot snapshot, long? expectedGeneration, ChangeRecord? record);

    /// <summary>Validates a document as every edge will parse it: a refusal names the field and the problem.</summary>
    internal static AppSnapshot Validate(ReadOnlySpan<byte> document)
    {
        try
        {
            return AppDocument.Parse(document, 0);
        }
        catch (ProjectionException ex)
        {
            throw new PublishException($"{ex.Field}: {ex.Problem}", ex);
        }
    }

    /// <summary>Validates and writes; see <see cref="WriteAsync"/>.</summary>
    internal Task<long> PublishAsync(ReadOnlyMemory<byte> document, long? expectedGeneration, ChangeRecord? record) =>
        WriteAsync(document, Validate(document.Span), expectedGeneration, record);
}
