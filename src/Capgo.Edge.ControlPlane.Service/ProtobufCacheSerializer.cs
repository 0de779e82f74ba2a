using System.Buffers;
using Google.Protobuf;
using Microsoft.Extensions.Caching.Hybrid;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>
/// Lets <see cref="HybridCache"/> keep the release API's replies as their protobuf bytes: the messages
/// are mutable, so the cache copies them, and protobuf is their own compact, reflection-free form.
/// </summary>
internal sealed class ProtobufCacheSerializer<T> : IHybridCacheSerializer<T>
    where T : IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(static () => new T());

    public T Deserialize(ReadOnlySequence<byte> source) => Parser.ParseFrom(source);

    public void Serialize(T value, IBufferWriter<byte> target) => value.WriteTo(target);
}
