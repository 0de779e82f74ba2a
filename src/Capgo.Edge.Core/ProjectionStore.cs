using System.Collections.Concurrent;

namespace Capgo.Edge.Core;

/// <summary>
/// The apps this edge serves. Each app is swapped whole and atomically, so a check that read one
/// snapshot answers from exactly one generation of that app.
/// </summary>
public sealed class ProjectionStore
{
    private readonly ConcurrentDictionary<string, AppSnapshot> _apps = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _rejected = new(StringComparer.OrdinalIgnoreCase);
    private volatile bool _isLoaded;

    public AppSnapshot? Find(string appId) => _apps.TryGetValue(appId, out var app) ? app : null;

    public int Count => _apps.Count;

    /// <summary>True once a first complete load has finished: the edge can answer.</summary>
    public bool IsLoaded => _isLoaded;

    public void MarkLoaded() => _isLoaded = true;

    public IReadOnlyCollection<AppSnapshot> Apps => (IReadOnlyCollection<AppSnapshot>)_apps.Values;

    /// <summary>Installs a snapshot unless one with the same or a newer generation is already held.</summary>
    public bool TryApply(AppSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        while (true)
        {
            if (!_apps.TryGetValue(snapshot.AppId, out var current))
            {
                if (_apps.TryAdd(snapshot.AppId, snapshot))
                {
                    return true;
                }

                continue;
            }

            if (current.Generation >= snapshot.Generation)
            {
                return false;
            }

            if (_apps.TryUpdate(snapshot.AppId, snapshot, current))
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Installs a snapshot whatever the held one's generation: for a source that decides itself what is
    /// current (the Redis sync compares generations for equality, not order, so a generation from a
    /// clock that went back still applies), or a held snapshot whose override map was rebuilt.
    /// </summary>
    public void Replace(AppSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _apps[snapshot.AppId] = snapshot;
    }

    /// <summary>Removes an app (an explicit delete).</summary>
    public bool Remove(string appId)
    {
        _rejected.TryRemove(appId, out _);
        return _apps.TryRemove(appId, out _);
    }

    /// <summary>
    /// Apps whose latest data was refused (a malformed document or generation), with the reason: each
    /// keeps its last good snapshot, if any, until good data arrives.
    /// </summary>
    public IReadOnlyDictionary<string, string> Rejected => _rejected;

    /// <summary>Records that the app's latest data was refused; true when this is news (not the same reason again).</summary>
    public bool Reject(string appId, string reason)
    {
        var previous = _rejected.TryGetValue(appId, out var held) ? held : null;
        _rejected[appId] = reason;
        return previous != reason;
    }

    /// <summary>The app's data was accepted: it is no longer rejected.</summary>
    public void Accept(string appId)
    {
        if (!_rejected.IsEmpty)
        {
            _rejected.TryRemove(appId, out _);
        }
    }
}
