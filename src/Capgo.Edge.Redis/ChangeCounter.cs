namespace Capgo.Edge.Redis;

/// <summary>
/// The value of Redis's fleet-wide change counter (<c>P generation</c>, written by every change script)
/// up to which this edge is known to hold every change, or none. A complete reconcile sets it to the
/// value it read first; an announcement that names the held value as the one it follows moves it on;
/// anything else — an announcement that skips one, a step that failed — forgets it, and the next
/// reconcile compares every app. Values are compared for equality only, like generations. Used on the
/// sync loop only.
/// </summary>
internal sealed class ChangeCounter
{
    private long? _held;

    /// <summary>True when every change up to <paramref name="counter"/> is known to be held.</summary>
    public bool Holds(long counter) => _held == counter;

    /// <summary>A complete reconcile that began by reading <paramref name="counter"/> left nothing to catch up.</summary>
    public void Settle(long counter) => _held = counter;

    /// <summary>Something may be missing: the next reconcile compares every app.</summary>
    public void Forget() => _held = null;

    /// <summary>The announcement was applied (or held already).</summary>
    public void Applied(Announcement announcement)
    {
        if (_held is { } held && announcement.Follows == held)
        {
            _held = announcement.Generation;
        }
        else if (_held != announcement.Generation)
        {
            // One in between was missed, or this one predates what a reconcile read: not known.
            _held = null;
        }
    }
}
