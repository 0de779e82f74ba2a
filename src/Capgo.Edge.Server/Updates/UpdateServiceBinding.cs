using System.Runtime.CompilerServices;
using Capgo.Edge.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// Binds <see cref="UpdateServiceImpl"/> as the generated <c>UpdateService.BindService</c> does, with two
/// differences: the reply marshaller writes shared replies (offers, constant outcomes; see
/// <see cref="ReplyBuilder"/>) from protobuf bytes encoded once, instead of sizing and encoding the same
/// message on every call (an offer with a manifest: ~0.37 µs, more than the echo's whole codec); and the
/// request marshaller reuses the strings of fields that repeat across devices (<see cref="UpdateRequestReader"/>).
/// JSON transcoding finds the service's descriptor through <see cref="Descriptor"/> on this type.
/// </summary>
internal static class UpdateServiceBinding
{
    private const string ServiceName = "capgo.edge.v1.UpdateService";

    private static readonly ConditionalWeakTable<UpdateReply, byte[]> Encoded = [];

    private static readonly Method<UpdateRequest, UpdateReply> CheckForUpdate = new(
        MethodType.Unary,
        ServiceName,
        nameof(UpdateServiceImpl.CheckForUpdate),
        Marshallers.Create(static (request, context) => Write(request, context), static context => UpdateRequestReader.Read(context.PayloadAsReadOnlySequence())),
        Marshallers.Create(static (reply, context) => WriteReply(reply, context), static context => UpdateReply.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    private static readonly Method<EchoRequest, EchoReply> Echo = new(
        MethodType.Unary,
        ServiceName,
        nameof(UpdateServiceImpl.Echo),
        Marshallers.Create(static (request, context) => Write(request, context), static context => EchoRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        Marshallers.Create(static (reply, context) => Write(reply, context), static context => EchoReply.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>The proto service, read by JSON transcoding from the type that declares the bind method.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => UpdateService.Descriptor;

    /// <summary>
    /// Called by Grpc.AspNetCore (and JSON transcoding) through <c>[BindServiceMethod]</c> on the service. The
    /// parameter is the generated base type: the binder accepts only methods that override its methods.
    /// </summary>
    public static void BindService(ServiceBinderBase binder, UpdateService.UpdateServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(CheckForUpdate, service is null ? null : service.CheckForUpdate);
        binder.AddMethod(Echo, service is null ? null : service.Echo);
    }

    /// <summary>The marshaller of <c>CheckForUpdate</c> replies (tests).</summary>
    internal static Marshaller<UpdateReply> ReplyMarshaller => CheckForUpdate.ResponseMarshaller;

    /// <summary>Encodes a shared, never-mutated reply once; later writes of the same instance copy these bytes.</summary>
    public static void Remember(UpdateReply reply) => Encoded.AddOrUpdate(reply, reply.ToByteArray());

    private static void WriteReply(UpdateReply reply, SerializationContext context)
    {
        if (Encoded.TryGetValue(reply, out var bytes))
        {
            context.Complete(bytes);
            return;
        }

        Write(reply, context);
    }

    private static void Write(IMessage message, SerializationContext context)
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}
