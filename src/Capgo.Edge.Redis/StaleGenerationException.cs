namespace Capgo.Edge.Redis;

/// <summary>
/// A change conditioned on the app's generation found the app at another one (a concurrent change, or a
/// stale <c>--if-generation</c>); nothing was written.
/// </summary>
public sealed class StaleGenerationException : PublishException
{
    public StaleGenerationException(string message)
        : base(message)
    {
    }

    public StaleGenerationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StaleGenerationException()
    {
    }
}
