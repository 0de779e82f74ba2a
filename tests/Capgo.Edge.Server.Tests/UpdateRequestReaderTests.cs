using System.Buffers;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Updates;
using Google.Protobuf;

namespace Capgo.Edge.Server.Tests;

/// <summary>
/// The gRPC request reader gives the generated parser's message (or its exception) for every input, and
/// reuses the strings of repeating fields.
/// </summary>
public sealed class UpdateRequestReaderTests
{
    private static UpdateRequest Android() => new()
    {
        AppId = "com.loadtest.app0002",
        DeviceId = "1772ec27-e18b-44ae-8f06-160808dc0148",
        VersionName = "3.1.0",
        VersionBuild = "3.0.0",
        Platform = "android",
        PluginVersion = "8.51.23",
        IsEmulator = false,
        IsProd = true,
        DefaultChannel = "beta",
        InstallSource = "com.android.vending",
        KeyId = "k1",
        CustomId = "",
        VersionCode = "42",
        VersionOs = "14",
    };

    private static UpdateRequest Read(byte[] bytes) => UpdateRequestReader.Read(new ReadOnlySequence<byte>(bytes));

    [Fact]
    public void Every_field_reads_as_the_generated_parser_reads_it()
    {
        var bytes = Android().ToByteArray();
        Assert.True(UpdateRequestReader.TryRead(bytes, new Utf8StringCache(64), out var fast));
        Assert.Equal(UpdateRequest.Parser.ParseFrom(bytes), fast);
        Assert.Equal(Android(), fast);

        // Presence survives: an empty string and false are present, unset fields are absent.
        Assert.True(fast.HasCustomId);
        Assert.True(fast.HasIsEmulator);
        var sparse = new UpdateRequest { AppId = "com.example.app", IsProd = false };
        Assert.True(UpdateRequestReader.TryRead(sparse.ToByteArray(), new Utf8StringCache(64), out var read));
        Assert.Equal(sparse, read);
        Assert.False(read.HasDeviceId);
        Assert.False(read.HasIsEmulator);
        Assert.True(read.HasIsProd);
    }

    [Fact]
    public void An_empty_body_is_a_message_without_fields()
    {
        var read = Read([]);
        Assert.Equal(new UpdateRequest(), read);
        Assert.False(read.HasAppId);
    }

    [Fact]
    public void Repeating_values_share_one_string_and_device_ids_do_not()
    {
        var cache = new Utf8StringCache(4096);
        var bytes = Android().ToByteArray();
        Assert.True(UpdateRequestReader.TryRead(bytes, cache, out var first));
        Assert.True(UpdateRequestReader.TryRead(bytes, cache, out var second));
        Assert.Same(first.AppId, second.AppId);
        Assert.Same(first.VersionName, second.VersionName);
        Assert.Same(first.PluginVersion, second.PluginVersion);
        Assert.NotSame(first.DeviceId, second.DeviceId);
        Assert.Equal(first.DeviceId, second.DeviceId);
    }

    [Fact]
    public void Non_ascii_values_decode_as_utf8_and_are_not_cached()
    {
        var request = new UpdateRequest { AppId = "com.exämple.app", VersionName = "1.0.0-β", DeviceId = "😀" };
        var bytes = request.ToByteArray();
        var cache = new Utf8StringCache(64);
        Assert.True(UpdateRequestReader.TryRead(bytes, cache, out var first));
        Assert.Equal(request, first);
        Assert.True(UpdateRequestReader.TryRead(bytes, cache, out var second));
        Assert.NotSame(first.AppId, second.AppId);

    }

    [Fact]
    public void A_repeated_field_keeps_its_last_value_as_protobuf_requires()
    {
        var bytes = new UpdateRequest { VersionName = "1.0.0", IsProd = true }.ToByteArray()
            .Concat(new UpdateRequest { VersionName = "2.0.0", IsProd = false }.ToByteArray()).ToArray();
        var read = Read(bytes);
        Assert.Equal("2.0.0", read.VersionName);
        Assert.False(read.IsProd);
        Assert.Equal(UpdateRequest.Parser.ParseFrom(bytes), read);
    }

    public static TheoryData<string, byte[]> SlowPathInputs => new()
    {
        // Field 15 (a newer client's field): the generated parser keeps it as an unknown field.
        { "unknown field", [0x0A, 0x01, (byte)'a', 0x7A, 0x02, (byte)'h', (byte)'i'] },
        // app_id sent as a varint: a wire-type mismatch is an unknown field too.
        { "wrong wire type", [0x08, 0x05] },
        // A huge bool varint (ten bytes) is still a valid bool.
        { "ten-byte bool varint", [0x38, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
    };

    [Theory]
    [MemberData(nameof(SlowPathInputs))]
    public void Inputs_the_fast_path_does_not_take_still_parse_as_before(string name, byte[] bytes)
    {
        var expected = UpdateRequest.Parser.ParseFrom(bytes);
        Assert.Equal(expected, Read(bytes));
        Assert.True(expected.ToByteArray().Length > 0, name);
    }

    public static TheoryData<string, byte[]> MalformedInputs => new()
    {
        { "truncated string", [0x0A, 0x05, (byte)'a'] },
        { "truncated varint", [0x38, 0x80] },
        { "field number zero", [0x02, 0x00] },
        { "length past the end", [0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x07] },
        { "negative length", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        { "end group without start", [0x0C] },
        { "invalid UTF-8 in a cached field", [0x0A, 0x03, (byte)'a', 0xC3, 0x28] },
        { "invalid UTF-8 in the device id", [0x12, 0x02, 0xED, 0xA0] },
        { "eleven-byte varint", [0x38, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
    };

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public void Malformed_bodies_throw_what_the_generated_parser_throws(string name, byte[] bytes)
    {
        var expected = Assert.Throws<InvalidProtocolBufferException>(() => UpdateRequest.Parser.ParseFrom(bytes));
        var actual = Assert.Throws<InvalidProtocolBufferException>(() => Read(bytes));
        Assert.Equal(expected.Message, actual.Message);
        Assert.False(UpdateRequestReader.TryRead(bytes, new Utf8StringCache(64), out _), name);
    }

    [Fact]
    public void A_payload_split_across_buffers_reads_the_same()
    {
        var bytes = Android().ToByteArray();
        var first = new Segment(bytes.AsMemory(0, 10));
        var last = first.Append(bytes.AsMemory(10));
        var read = UpdateRequestReader.Read(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));
        Assert.Equal(Android(), read);
    }

    /// <summary>
    /// Random mutations of real bodies: whenever the fast path accepts bytes it must produce exactly
    /// the generated parser's message, and the public entry point must agree with the parser on every
    /// input, exception included. A one-slot cache makes every value collide with the previous one.
    /// </summary>
    [Fact]
    public void Mutated_bodies_agree_with_the_generated_parser()
    {
        var random = new Random(20_261_123);
        var seeds = new[]
        {
            Android().ToByteArray(),
            new UpdateRequest { AppId = "a.b", DeviceId = "d", IsEmulator = true }.ToByteArray(),
            new UpdateRequest { VersionOs = "17.2", KeyId = "x", CustomId = "c" }.ToByteArray(),
        };
        var cache = new Utf8StringCache(1);
        var fastAccepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = Mutate(random, seeds[random.Next(seeds.Length)]);
            UpdateRequest? expected = null;
            string? expectedError = null;
            try
            {
                expected = UpdateRequest.Parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException e)
            {
                expectedError = e.Message;
            }

            if (UpdateRequestReader.TryRead(bytes, cache, out var fast))
            {
                fastAccepted++;
                Assert.True(expected is not null, $"fast path accepted bytes the parser rejects: {Convert.ToHexString(bytes)}");
                Assert.Equal(expected, fast);
            }

            if (expected is not null)
            {
                Assert.Equal(expected, Read(bytes));
            }
            else
            {
                Assert.Equal(expectedError, Assert.Throws<InvalidProtocolBufferException>(() => Read(bytes)).Message);
            }
        }

        // The mutations must exercise the fast path, not only the fallback.
        Assert.InRange(fastAccepted, 2_000, 20_000);
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var list = seed.ToList();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            switch (random.Next(5))
            {
                case 0 when list.Count > 0:
                    list[random.Next(list.Count)] = (byte)random.Next(256);
                    break;
                case 1 when list.Count > 0:
                    list.RemoveAt(random.Next(list.Count));
                    break;
                case 2:
                    list.Insert(random.Next(list.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when list.Count > 0:
                    var start = random.Next(list.Count);
                    list.RemoveRange(start, Math.Min(list.Count - start, random.Next(8)));
                    break;
                default:
                    // Leave the body whole this round: some inputs stay valid.
                    break;
            }
        }

        return [.. list];
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
