using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// The memory a campaign leaves behind in the process that hosts the edge, read after the event queue
/// has drained and two forced, compacting full collections.
/// </summary>
/// <param name="Total">The GC heap's live bytes (<see cref="GC.GetTotalMemory(bool)"/>), large-object heap included.</param>
/// <param name="Small">Live bytes of generations 0–2: where every per-device table's entries live.</param>
/// <param name="LargeObjects">The large-object heap after the collection, free space between its objects included.</param>
/// <param name="LargeObjectsLive">The large-object heap's objects alone.</param>
/// <param name="WorkingSet">The process's resident set (<see cref="Environment.WorkingSet"/>).</param>
internal readonly record struct FuzzMemory(long Total, long Small, long LargeObjects, long LargeObjectsLive, long WorkingSet)
{
    public static async Task<FuzzMemory> SettleAsync(TestEdge edge)
    {
        await Eventually.TrueAsync(() => edge.Events.Queued == 0, "the event queue to drain", TimeSpan.FromSeconds(60));
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var total = GC.GetTotalMemory(forceFullCollection: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        long small = 0;
        for (var generation = 0; generation <= 2; generation++)
        {
            small += info.GenerationInfo[generation].SizeAfterBytes - info.GenerationInfo[generation].FragmentationAfterBytes;
        }

        var large = info.GenerationInfo[3];
        return new FuzzMemory(total, small, large.SizeAfterBytes, large.SizeAfterBytes - large.FragmentationAfterBytes, Environment.WorkingSet);
    }

    public static string MiB(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    public static string DeltaMiB(long bytes) => (bytes / 1048576.0).ToString("+0.0;-0.0", System.Globalization.CultureInfo.InvariantCulture);
}
