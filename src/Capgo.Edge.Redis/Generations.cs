using System.Globalization;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// How generations are written in Redis: decimal text, absent meaning 0 (docs/redis-layout.md). A value
/// that is not one is bad data: <see cref="FormatException"/> naming it, which the sync treats as the
/// app's data being refused.
/// </summary>
internal static class Generations
{
    public static long Parse(RedisValue value)
    {
        if (value.IsNullOrEmpty)
        {
            return 0;
        }

        var text = value.ToString();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            ? generation
            : throw new FormatException($"generation '{(text.Length > 40 ? text[..40] + "…" : text)}' is not a non-negative integer");
    }

    public static long Parse(RedisResult result) => long.Parse(result.ToString(), CultureInfo.InvariantCulture);

    /// <summary>An edge's acknowledgement, <c>"gen ogen"</c> (or <c>"gen"</c>); (0, 0) when absent.</summary>
    public static (long Generation, long OverridesGeneration) ParseAck(RedisValue ack)
    {
        if (ack.IsNullOrEmpty)
        {
            return (0, 0);
        }

        var text = ack.ToString();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space < 0
            ? (long.Parse(text, CultureInfo.InvariantCulture), 0)
            : (long.Parse(text.AsSpan(0, space), CultureInfo.InvariantCulture), long.Parse(text.AsSpan(space + 1), CultureInfo.InvariantCulture));
    }

    /// <summary>An app's document and overrides generations, read together (two commands, one round trip).</summary>
    public static async Task<(long Generation, long OverridesGeneration)> ReadAsync(IDatabaseAsync db, RedisLayout layout, string appId)
    {
        var gen = db.HashGetAsync(layout.App(appId), "gen");
        var ogen = db.StringGetAsync(layout.AppOverridesGeneration(appId));
        return (Parse(await gen.ConfigureAwait(false)), Parse(await ogen.ConfigureAwait(false)));
    }
}
