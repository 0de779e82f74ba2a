using Capgo.Edge.Contracts.V1;

namespace Capgo.Edge.LoadBodies;

/// <summary>How large each echo body is (<c>--echo-bytes</c>), and echo bodies of a given size.</summary>
public enum EchoBytes
{
    /// <summary>Half of the paired check's request + reply: as many bytes per call as the check, both ways together.</summary>
    Exchange,

    /// <summary>As large as the paired check's request.</summary>
    Request,

    /// <summary>Exchange-sized echo bodies, plus request-sized ones (<c>*-echo-req</c>) as a second baseline.</summary>
    Both,
}

public static class EchoBodies
{
    /// <summary>
    /// The echo body's size for a check of <paramref name="checkRequest"/> request and <paramref name="checkReply"/>
    /// reply bytes: an echo's reply is as large as its request, so half of both moves the same bytes per call.
    /// </summary>
    public static int Size(EchoBytes mode, double checkRequest, double checkReply) =>
        (int)Math.Round(mode == EchoBytes.Request ? checkRequest : (checkRequest + checkReply) / 2);

    /// <summary>
    /// A framed <see cref="EchoRequest"/> of exactly <paramref name="framedBytes"/> bytes (a payload of 'x'), or the
    /// largest below it where the payload's length prefix grows by a byte; at least a 1-character payload.
    /// </summary>
    public static byte[] Frame(int framedBytes)
    {
        var target = Math.Max(framedBytes - GrpcFrame.HeaderBytes, 3);
        var payload = Math.Max(target - 2, 1);
        var message = new EchoRequest { Payload = new string('x', payload) };
        while (payload > 1 && message.CalculateSize() > target)
        {
            payload--;
            message.Payload = new string('x', payload);
        }
        return GrpcFrame.Write(message);
    }

    /// <summary>A JSON <see cref="EchoRequest"/> of <paramref name="bodyBytes"/> bytes: the reply, the same object, has that size too.</summary>
    public static string Json(int bodyBytes)
    {
        var overhead = ContractJson.Format(new EchoRequest { Payload = "x" }).Length - 1;
        return ContractJson.Format(new EchoRequest { Payload = new string('x', Math.Max(bodyBytes - overhead, 1)) });
    }
}
