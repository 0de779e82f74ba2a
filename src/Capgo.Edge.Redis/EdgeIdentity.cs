using System.Security.Cryptography;

namespace Capgo.Edge.Redis;

/// <summary>
/// This edge's one name: in heartbeats, acknowledgements, the <c>edge</c> field of events and Redis
/// client names. <c>Sync:EdgeName</c> when set, else generated once per process, so every user of
/// the name agrees. <see cref="Instance"/> tells apart the processes that carry one configured name
/// over time.
/// </summary>
public sealed class EdgeIdentity
{
    /// <param name="name"><c>Sync:EdgeName</c>; null or empty generates one.</param>
    public EdgeIdentity(string? name) =>
        Name = string.IsNullOrEmpty(name)
            ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}"
            : name;

    public string Name { get; }

    /// <summary>
    /// 12 random lower-case hex digits (48 bits), drawn once per process start: the <c>instance</c>
    /// field of events, so (<c>edge</c>, <c>instance</c>, <c>seq</c>) stays unique when a restarted edge
    /// counts <c>seq</c> from 1 again under the same name.
    /// </summary>
    public string Instance { get; } = RandomNumberGenerator.GetHexString(12, lowercase: true);
}
