namespace Capgo.Edge.Redis;

/// <summary>A change the control plane refused; nothing was written.</summary>
public class PublishException : Exception
{
    public PublishException(string message)
        : base(message)
    {
    }

    public PublishException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PublishException()
    {
    }
}
