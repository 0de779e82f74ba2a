namespace Capgo.Edge.Redis;

/// <summary>The stream's limits and the retry policy (from the server's <c>Events</c> options).</summary>
public sealed record EventStreamLimits(long MaxStreamLength, int MaxAttempts, TimeSpan RetryDelay, TimeSpan WriteTimeout);
