using System.Buffers.Binary;
using Google.Protobuf;

namespace Capgo.Edge.LoadBodies;

/// <summary>gRPC length-prefixed messages: a compressed flag (0), a 4-byte big-endian length, the message.</summary>
public static class GrpcFrame
{
    public const int HeaderBytes = 5;

    public static byte[] Write(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        var frame = new byte[HeaderBytes + size];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)size);
        message.WriteTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    /// <summary>The message of one uncompressed frame whose length prefix covers exactly the rest of <paramref name="frame"/>.</summary>
    public static T Read<T>(ReadOnlySpan<byte> frame, MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        if (frame.Length < HeaderBytes)
        {
            throw new InvalidDataException($"a gRPC frame starts with a {HeaderBytes}-byte header; got {frame.Length} bytes");
        }
        if (frame[0] != 0)
        {
            throw new InvalidDataException($"compressed flag {frame[0]}: only uncompressed frames are expected");
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(frame.Slice(1, 4));
        if (length != frame.Length - HeaderBytes)
        {
            throw new InvalidDataException($"the frame header says {length} bytes, {frame.Length - HeaderBytes} follow");
        }
        return parser.ParseFrom(frame[HeaderBytes..]);
    }
}
