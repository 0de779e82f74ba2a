namespace Capgo.Edge.Redis;

/// <summary>What becomes of each event handed to <see cref="EventStreamWriter"/>; the caller counts it.</summary>
public interface IEventTally
{
    void Written(int count);

    /// <summary><paramref name="shutdown"/>: the flush deadline passed; otherwise Redis failed every attempt.</summary>
    void Dropped(int count, bool shutdown);
}
