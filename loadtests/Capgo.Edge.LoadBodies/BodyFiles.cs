using System.Text;
using System.Text.Json;
using Capgo.Edge.Contracts.V1;
using Google.Protobuf;

namespace Capgo.Edge.LoadBodies;

/// <summary>The request bodies in the run's bodies folder, by the names the harness gives them to h2load and wrk.</summary>
public static class BodyFiles
{
    public const string HttpCheck = "http-check.txt";
    public const string HttpEcho = "http-echo.txt";
    public const string HttpEchoRequestSized = "http-echo-req.txt";

    public static string GrpcCheck(int n) => $"grpc-check-{n}.bin";

    public static string GrpcEcho(int n) => $"grpc-echo-{n}.bin";

    public static string GrpcEchoRequestSized(int n) => $"grpc-echo-req-{n}.bin";

    /// <summary>
    /// Writes the check bodies of a spec (<c>{"grpc": [UpdateRequest…], "http": [UpdateRequest…]}</c>, each request
    /// in the contract's JSON mapping): <c>grpc-check-N.bin</c> (one frame each, with <c>grpc-check-N.json</c> beside
    /// it to read) and <c>http-check.txt</c> (one JSON body a line). Each body is read back and compared before it is
    /// kept. Returns the framed size of each gRPC body.
    /// </summary>
    public static int[] WriteChecks(string specPath, string outDirectory)
    {
        using var spec = JsonDocument.Parse(File.ReadAllBytes(specPath));
        var grpc = Requests(spec.RootElement, "grpc");
        var http = Requests(spec.RootElement, "http");
        Directory.CreateDirectory(outDirectory);

        var sizes = new int[grpc.Count];
        for (var n = 0; n < grpc.Count; n++)
        {
            var frame = GrpcFrame.Write(grpc[n]);
            Verify(GrpcFrame.Read(frame, UpdateRequest.Parser), grpc[n], $"grpc[{n}]");
            File.WriteAllBytes(Path.Combine(outDirectory, GrpcCheck(n)), frame);
            File.WriteAllText(Path.Combine(outDirectory, $"grpc-check-{n}.json"), JsonFormatter.Default.Format(grpc[n]));
            sizes[n] = frame.Length;
        }

        var lines = new StringBuilder();
        for (var n = 0; n < http.Count; n++)
        {
            var line = ContractJson.Format(http[n]);
            Verify(JsonParser.Default.Parse<UpdateRequest>(line), http[n], $"http[{n}]");
            lines.Append(line).Append('\n');
        }
        File.WriteAllText(Path.Combine(outDirectory, HttpCheck), lines.ToString());
        return sizes;
    }

    /// <summary>
    /// Writes the echo bodies paired with the check bodies already in <paramref name="bodiesDirectory"/>: gRPC echo
    /// body N sized after check body N (its file, and <paramref name="grpcCheckReplyBytes"/>[N] probed from the edge),
    /// plus its request-sized twin; with the HTTP means, <c>http-echo.txt</c> and <c>http-echo-req.txt</c>.
    /// </summary>
    public static EchoSizes WriteEchoes(string bodiesDirectory, EchoBytes mode, IReadOnlyList<int> grpcCheckReplyBytes,
                                        double? httpCheckRequestMean, double? httpCheckReplyMean)
    {
        ArgumentNullException.ThrowIfNull(grpcCheckReplyBytes);
        var requests = new int[grpcCheckReplyBytes.Count];
        var echoes = new int[grpcCheckReplyBytes.Count];
        for (var n = 0; n < requests.Length; n++)
        {
            var check = Path.Combine(bodiesDirectory, GrpcCheck(n));
            if (!File.Exists(check))
            {
                throw new FileNotFoundException($"no check body {check} for reply size #{n}: write the check bodies first", check);
            }
            requests[n] = checked((int)new FileInfo(check).Length);
            var echo = EchoBodies.Frame(EchoBodies.Size(mode, requests[n], grpcCheckReplyBytes[n]));
            File.WriteAllBytes(Path.Combine(bodiesDirectory, GrpcEcho(n)), echo);
            File.WriteAllBytes(Path.Combine(bodiesDirectory, GrpcEchoRequestSized(n)), EchoBodies.Frame(requests[n]));
            echoes[n] = echo.Length;
        }

        int? httpEcho = null;
        if (httpCheckRequestMean is { } request && httpCheckReplyMean is { } reply)
        {
            httpEcho = EchoBodies.Size(mode, request, reply);
            File.WriteAllText(Path.Combine(bodiesDirectory, HttpEcho), EchoBodies.Json(httpEcho.Value) + "\n");
            File.WriteAllText(Path.Combine(bodiesDirectory, HttpEchoRequestSized),
                              EchoBodies.Json(EchoBodies.Size(EchoBytes.Request, request, reply)) + "\n");
        }
        return new EchoSizes(requests, echoes, httpEcho);
    }

    /// <summary>
    /// Each probed reply in the contract's JSON mapping (null for an empty file: a trailers-only gRPC error), as one
    /// JSON array. <paramref name="method"/> is <c>CheckForUpdate</c> or <c>Echo</c>.
    /// </summary>
    public static string DecodeReplies(string method, IEnumerable<string> replyFiles)
    {
        ArgumentNullException.ThrowIfNull(replyFiles);
        Func<byte[], IMessage> parse = method switch
        {
            "CheckForUpdate" => frame => GrpcFrame.Read(frame, UpdateReply.Parser),
            "Echo" => frame => GrpcFrame.Read(frame, EchoReply.Parser),
            _ => throw new ArgumentException($"unknown method {method}: CheckForUpdate or Echo", nameof(method)),
        };
        var replies = replyFiles.Select(file =>
        {
            var frame = File.ReadAllBytes(file);
            try
            {
                return frame.Length == 0 ? "null" : JsonFormatter.Default.Format(parse(frame));
            }
            catch (Exception error) when (error is InvalidDataException or InvalidProtocolBufferException)
            {
                throw new InvalidDataException($"{file}: {error.Message}", error);
            }
        });
        return "[" + string.Join(",", replies) + "]";
    }

    private static List<UpdateRequest> Requests(JsonElement spec, string name)
    {
        if (spec.ValueKind != JsonValueKind.Object || !spec.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"the spec needs \"{name}\": an array of UpdateRequest objects (JSON names, e.g. \"app_id\")");
        }
        var requests = new List<UpdateRequest>();
        foreach (var item in list.EnumerateArray())
        {
            try
            {
                requests.Add(JsonParser.Default.Parse<UpdateRequest>(item.GetRawText()));
            }
            catch (InvalidProtocolBufferException error)
            {
                throw new InvalidDataException($"{name}[{requests.Count}] is not an UpdateRequest: {error.Message}", error);
            }
        }
        return requests;
    }

    private static void Verify(UpdateRequest decoded, UpdateRequest written, string what)
    {
        if (!decoded.Equals(written))
        {
            throw new InvalidDataException($"{what} does not read back as written: {decoded} != {written}");
        }
    }
}

/// <summary>The echo sizes used, as the harness reports them (framed gRPC bytes; the HTTP echo's body bytes).</summary>
public sealed record EchoSizes(int[] GrpcCheckRequestBytes, int[] GrpcEchoBytes, int? HttpEchoBodyBytes);
