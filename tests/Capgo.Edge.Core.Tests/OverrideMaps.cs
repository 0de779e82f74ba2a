namespace Capgo.Edge.Core.Tests;

/// <summary>Device ids and maps for the override tests.</summary>
internal static class OverrideMaps
{
    internal static string[] Ids(int count) =>
        Enumerable.Range(0, count).Select(static i => new Guid(i, 0xabc, 0xdef, new byte[8]).ToString()).ToArray();

    internal static (string, string)[] Sorted(IEnumerable<KeyValuePair<string, string>> entries) =>
        entries.OrderBy(static e => e.Key, StringComparer.Ordinal).Select(static e => (e.Key, e.Value)).ToArray();

    /// <summary>Waits for the merge running and any it chains.</summary>
    internal static async Task Settled(DeviceOverrides map)
    {
        Task merging;
        do
        {
            merging = map.Merging;
            await merging;
        }
        while (!ReferenceEquals(merging, map.Merging));
    }

    internal static string NewId(int i) => new Guid(i, 0xfed, 0xcba, new byte[8]).ToString();

    internal static DeviceOverrides Build(string[] ids, string channel, int minimumMerge)
    {
        var builder = new DeviceOverridesBuilder();
        foreach (var id in ids)
        {
            builder.Add(id, channel);
        }

        return builder.Build(minimumMerge);
    }
}
