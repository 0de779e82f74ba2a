using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Updates;
using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace Capgo.Edge.Server.Tests;

/// <summary>The gRPC reply marshaller writes shared replies from the bytes encoded when they were shared.</summary>
public sealed class UpdateServiceBindingTests
{
    /// <summary>What Grpc.AspNetCore's context receives: whole bytes, or a sized buffer then Complete().</summary>
    private sealed class CapturingContext : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public byte[]? Written { get; private set; }

        public override void Complete(byte[] payload) => Written = payload;

        public override void SetPayloadLength(int payloadLength)
        {
        }

        public override IBufferWriter<byte> GetBufferWriter() => _buffer;

        public override void Complete() => Written = _buffer.WrittenSpan.ToArray();
    }

    private static byte[] Write(CheckReply reply)
    {
        var context = new CapturingContext();
        UpdateServiceBinding.ReplyMarshaller.ContextualSerializer(reply, context);
        return context.Written ?? throw new InvalidOperationException("the marshaller never completed");
    }

    private static UpdateReply Offer() => new()
    {
        Version = "1.4.0",
        Url = "https://cdn.example.com/1.4.0.zip",
        SessionKey = "",
        Checksum = "c0ffee",
        Manifest = { new ManifestEntry { FileName = "index.html", FileHash = "abc", DownloadUrl = "https://cdn.example.com/i.html" } },
    };

    [Fact]
    public void A_shared_reply_is_written_from_its_cached_encoding()
    {
        var reply = Offer();
        var shared = CheckReply.Shared(reply);
        var encoded = reply.ToByteArray();
        Assert.Equal(encoded, Write(shared));

        // Shared replies are never mutated; doing it here shows which bytes are written: the cached ones.
        reply.Version = "9.9.9";
        Assert.Equal(encoded, Write(shared));
        Assert.Equal(encoded, shared.Protobuf);
    }

    [Fact]
    public void Any_other_reply_is_encoded_on_each_write()
    {
        var reply = Offer();
        Assert.Equal(reply.ToByteArray(), Write(CheckReply.For(reply)));

        reply.Version = "9.9.9";
        var written = Write(CheckReply.For(reply));
        Assert.Equal("9.9.9", UpdateReply.Parser.ParseFrom(written).Version);
    }
}
