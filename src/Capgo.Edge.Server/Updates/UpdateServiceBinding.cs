using System.Buffers;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Google.Protobuf;
using Grpc.Core;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// Binds the update service as the generated <c>UpdateService.BindService</c> does, with the same
/// method names and wire messages, but answers <c>CheckForUpdate</c> with <see cref="CheckReply"/>:
/// its marshaller writes a shared reply's bytes encoded once instead of sizing and encoding the same
/// message on every call, and the request marshaller reuses the strings of fields that repeat across
/// devices (<see cref="UpdateRequestReader"/>). Server reflection and JSON transcoding find the
/// service's descriptor through <see cref="Descriptor"/> on this type.
/// </summary>
internal static class UpdateServiceBinding
{
    private const string ServiceName = "capgo.edge.v1.UpdateService";

    private static readonly Method<UpdateRequest, CheckReply> CheckForUpdate = new(
        MethodType.Unary,
        ServiceName,
        nameof(ServiceBase.CheckForUpdate),
        Marshallers.Create(static (request, context) => Write(request, context), static context => Read(context, UpdateRequestReader.Read)),
        Marshallers.Create(static (reply, context) => WriteReply(reply, context), static context => CheckReply.For(UpdateReply.Parser.ParseFrom(context.PayloadAsReadOnlySequence()))));

    private static readonly Method<EchoRequest, EchoReply> Echo = new(
        MethodType.Unary,
        ServiceName,
        nameof(ServiceBase.Echo),
        Marshallers.Create(static (request, context) => Write(request, context), static context => Read(context, EchoRequest.Parser.ParseFrom)),
        Marshallers.Create(static (reply, context) => Write(reply, context), static context => EchoReply.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>The proto service, read by server reflection and JSON transcoding from the type that declares the bind method.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => UpdateService.Descriptor;

    /// <summary>The methods the service implements, as the binder finds them: overrides of these.</summary>
    public abstract class ServiceBase
    {
        public abstract Task<CheckReply> CheckForUpdate(UpdateRequest request, ServerCallContext context);

        public abstract Task<EchoReply> Echo(EchoRequest request, ServerCallContext context);
    }

    /// <summary>Called by Grpc.AspNetCore and JSON transcoding through <c>[BindServiceMethod]</c> on the service.</summary>
    public static void BindService(ServiceBinderBase binder, ServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(CheckForUpdate, service is null ? null : service.CheckForUpdate);
        binder.AddMethod(Echo, service is null ? null : service.Echo);
    }

    /// <summary>The marshaller of <c>CheckForUpdate</c> replies (tests).</summary>
    internal static Marshaller<CheckReply> ReplyMarshaller => CheckForUpdate.ResponseMarshaller;

    /// <summary>
    /// Reads a request message. Bytes that are not the message (truncated, a wrong wire type, invalid
    /// UTF-8, groups nested past the parser's limit) are the client's fault: INVALID_ARGUMENT with the
    /// contract's code for a body that does not parse (update-check.md §1), where an exception escaping
    /// a deserializer would make Grpc.AspNetCore answer UNKNOWN, the status of a server fault.
    /// </summary>
    private static T Read<T>(DeserializationContext context, Func<ReadOnlySequence<byte>, T> parse)
    {
        try
        {
            return parse(context.PayloadAsReadOnlySequence());
        }
        catch (InvalidProtocolBufferException)
        {
            throw new RpcException(
                new Status(StatusCode.InvalidArgument, "The request is not a valid protobuf message"),
                new Metadata { { UpdateServiceImpl.ErrorTrailer, RequestError.InvalidJson.Code } });
        }
    }

    private static void WriteReply(CheckReply reply, SerializationContext context)
    {
        if (reply.Protobuf is { } bytes)
        {
            context.Complete(bytes);
            return;
        }

        if (reply.Generation != 0)
        {
            // A reply made for this call alone: its message is this call's own to complete.
            reply.Message.Generation = reply.Generation;
        }

        Write(reply.Message, context);
    }

    private static void Write(IMessage message, SerializationContext context)
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}
