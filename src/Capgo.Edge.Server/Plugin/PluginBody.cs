using System.Buffers;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// A plugin request body read whole, in an array rented from the shared pool (returned on dispose),
/// or the refusal <see cref="PluginBodyReader"/> already answered (then <see cref="Refusal"/> is set
/// and there are no bytes).
/// </summary>
internal readonly struct PluginBody : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly int _length;

    public PluginBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
        Refusal = null;
    }

    public PluginBody(RequestError refusal)
    {
        _buffer = null;
        _length = 0;
        Refusal = refusal;
    }

    /// <summary>Why the body was refused (the reply is written), or null when it was read.</summary>
    public RequestError? Refusal { get; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
