using Xunit.Sdk;

namespace Capgo.Edge.Tests.Support;

/// <summary>
/// Polls a condition until it holds, or fails the test after a timeout naming what was awaited. The
/// default patience is long because two cores run several edges and redis-servers at once.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, int pollMs = 10)
    {
        var limit = timeout ?? Patience;
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            FailIfPast(deadline, limit, what);
            await Task.Delay(pollMs);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Patience;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            FailIfPast(deadline, limit, what);
            await Task.Delay(20);
        }
    }

    private static void FailIfPast(DateTime deadline, TimeSpan limit, string what)
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new XunitException($"Timed out after {limit.TotalSeconds:0.#} s: {what}");
        }
    }
}
