namespace Capgo.Edge.Redis;

/// <summary>
/// The stream's limits and the retry policy (from the server's <c>Events</c> options): a failed write
/// waits <see cref="RetryDelay"/>, doubling up to <see cref="MaxRetryDelay"/>, for as long as it takes.
/// </summary>
public sealed record EventStreamLimits(long MaxStreamLength, TimeSpan RetryDelay, TimeSpan MaxRetryDelay, TimeSpan WriteTimeout);
