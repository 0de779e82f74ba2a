namespace Capgo.Edge.Core;

/// <summary>A projection document that breaks a rule; nothing of it is applied.</summary>
public sealed class ProjectionException : Exception
{
    public ProjectionException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
        Problem = message;
    }

    public ProjectionException()
    {
        Field = "";
        Problem = "";
    }

    public ProjectionException(string message)
        : base(message)
    {
        Field = "";
        Problem = message;
    }

    public ProjectionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "";
        Problem = message;
    }

    /// <summary>The JSON path of the offending field, e.g. <c>channels[1].rollout.bundle</c>.</summary>
    public string Field { get; }

    public string Problem { get; }
}
