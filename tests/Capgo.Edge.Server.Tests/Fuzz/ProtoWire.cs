namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// Protobuf at the wire level, for <see cref="MessageMutator"/>: well-formed fields the message does not
/// declare, and bytes that are not a well-formed message (truncated varints, wrong and reserved wire
/// types, lengths past the end, field number 0, groups nested past the parser's limit).
/// </summary>
internal sealed class ProtoWire(Random random)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;

    private readonly Random _random = random;

    /// <summary>Well-formed fields the message does not declare: every wire type, numbers up to the largest allowed.</summary>
    public void UnknownFields(MemoryStream stream)
    {
        for (var i = 0; i < 1 + _random.Next(4); i++)
        {
            var number = _random.Next(3) switch
            {
                0 => _random.Next(15, 100),
                1 => _random.Next(19000, 20000), // reserved for the protobuf implementation
                _ => _random.Next(100, 536_870_912),
            };
            switch (_random.Next(5))
            {
                case 0:
                    WriteTag(stream, number, Varint);
                    WriteVarint(stream, (ulong)_random.NextInt64());
                    break;
                case 1:
                    WriteTag(stream, number, Fixed64);
                    stream.Write(RandomBytes(8));
                    break;
                case 2:
                    var value = RandomBytes(_random.Next(4) == 0 ? _random.Next(1000, 100_000) : _random.Next(32));
                    WriteTag(stream, number, LengthDelimited);
                    WriteVarint(stream, (ulong)value.Length);
                    stream.Write(value);
                    break;
                case 3:
                    WriteTag(stream, number, StartGroup);
                    WriteTag(stream, number + 1, Varint);
                    WriteVarint(stream, 1);
                    WriteTag(stream, number, EndGroup);
                    break;
                default:
                    WriteTag(stream, number, Fixed32);
                    stream.Write(RandomBytes(4));
                    break;
            }
        }
    }

    /// <summary>Bytes that are not a well-formed message, or only barely one, made from a valid message's bytes.</summary>
    public byte[] Malformed(byte[] valid)
    {
        using var stream = new MemoryStream();
        switch (_random.Next(12))
        {
            case 0:
                // Truncated anywhere, often inside a string or a varint.
                return valid[.._random.Next(valid.Length)];
            case 1:
                var flipped = (byte[])valid.Clone();
                for (var i = 0; i < 1 + _random.Next(8); i++)
                {
                    flipped[_random.Next(flipped.Length)] ^= (byte)(1 << _random.Next(8));
                }

                return flipped;
            case 2:
                // A truncated varint: continuation bits to the end.
                stream.Write(valid);
                WriteTag(stream, _random.Next(1, 15), Varint);
                stream.Write(Enumerable.Repeat((byte)0x80, 1 + _random.Next(12)).ToArray());
                break;
            case 3:
                // A declared field with the wrong wire type (strings as varints, bools as strings, fixed widths).
                stream.Write(valid);
                WriteTag(stream, _random.Next(1, 15), Pick(new[] { Varint, Fixed64, LengthDelimited, Fixed32, StartGroup }));
                stream.Write(RandomBytes(_random.Next(1, 16)));
                break;
            case 4:
                // Wire types 6 and 7 do not exist.
                stream.Write(valid);
                WriteTag(stream, _random.Next(1, 1000), 6 + _random.Next(2));
                break;
            case 5:
                // A length past the end of the message, or past any int.
                WriteTag(stream, _random.Next(1, 15), LengthDelimited);
                WriteVarint(stream, _random.Next(3) switch { 0 => (ulong)(valid.Length + 1), 1 => int.MaxValue + 1UL, _ => ulong.MaxValue });
                stream.Write(valid);
                break;
            case 6:
                // Field number 0 is invalid.
                stream.WriteByte((byte)_random.Next(0, 8));
                stream.Write(valid);
                break;
            case 7:
                // Groups nested past the parser's recursion limit, closed or not.
                var depth = _random.Next(50, 20_000);
                for (var i = 0; i < depth; i++)
                {
                    WriteTag(stream, 15 + (i % 100), StartGroup);
                }

                for (var i = depth - 1; i >= depth / (1 + _random.Next(2)); i--)
                {
                    WriteTag(stream, 15 + (i % 100), EndGroup);
                }

                break;
            case 8:
                // An end-group tag with no group open, or one that closes another group.
                stream.Write(valid);
                WriteTag(stream, _random.Next(1, 100), EndGroup);
                break;
            case 9:
                // A ten-byte varint whose value overflows 64 bits, as a tag or as a bool.
                stream.Write(_random.Next(2) == 0 ? [0x38] : []);
                stream.Write([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
                break;
            case 10:
                return RandomBytes(_random.Next(4) == 0 ? _random.Next(1000, 100_000) : _random.Next(64));
            default:
                // Nothing at all: the gRPC form of an empty JSON object.
                return [];
        }

        return stream.ToArray();
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    public static void WriteTag(Stream stream, int number, int wire) => WriteVarint(stream, ((ulong)(uint)number << 3) | (uint)wire);

    public static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }

    private int Pick(int[] items) => items[_random.Next(items.Length)];
}
