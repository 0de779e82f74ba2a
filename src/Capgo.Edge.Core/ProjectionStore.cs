using System.Collections.Concurrent;

namespace Capgo.Edge.Core;

/// <summary>
/// The apps this edge serves. Each app is swapped whole and atomically, so a check that read one
/// snapshot answers from exactly one generation of that app.
/// </summary>
public sealed class ProjectionStore
{
    private readonly ConcurrentDictionary<string, AppSnapshot> _apps = new(StringComparer.OrdinalIgnoreCase);
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

    /// <summary>Installs a snapshot of the same generation (its override map was rebuilt).</summary>
    public void Replace(AppSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _apps[snapshot.AppId] = snapshot;
    }

    /// <summary>Removes an app (an explicit delete).</summary>
    public bool Remove(string appId) => _apps.TryRemove(appId, out _);
}
