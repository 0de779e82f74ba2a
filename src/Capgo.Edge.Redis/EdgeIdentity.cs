namespace Capgo.Edge.Redis;

/// <summary>
/// This edge's one name: in heartbeats, acknowledgements, the <c>edge</c> field of events and Redis
/// client names. <c>Sync:EdgeName</c> when set, else generated once per process, so every user of
/// the name agrees.
/// </summary>
public sealed class EdgeIdentity
{
    /// <param name="name"><c>Sync:EdgeName</c>; null or empty generates one.</param>
    public EdgeIdentity(string? name) =>
        Name = string.IsNullOrEmpty(name)
            ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}"
            : name;

    public string Name { get; }
}
