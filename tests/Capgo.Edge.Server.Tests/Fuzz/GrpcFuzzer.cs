using System.Buffers.Binary;
using System.Net;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// Sends <see cref="MessageMutator"/> payloads as raw gRPC frames over h2c (<see cref="RawGrpc"/>), one in
/// twenty to <c>Echo</c> and the rest to <c>CheckForUpdate</c>, and judges each answer: a success
/// carries one frame holding a reply that parses; a refusal is <c>InvalidArgument</c> or
/// <c>ResourceExhausted</c> with the contract's code in the <c>capgo-error</c> trailer. The one refusal
/// without the trailer is Grpc.AspNetCore's own for a message over the edge's limit, and only for such
/// a message. <c>Internal</c>, <c>Unknown</c>, <c>DataLoss</c>, any other status, an HTTP status other
/// than 200 or a failed call is a violation.
/// </summary>
internal sealed class GrpcFuzzer(HttpClient client)
{
    public const string Target = "grpc ";

    /// <summary>Grpc.AspNetCore's detail for a message over <c>MaxReceiveMessageSize</c>.</summary>
    private const string OverLimitDetail = "Received message exceeds the maximum configured message size.";

    /// <summary>The contract's refusal codes, by the gRPC status that carries them.</summary>
    private static readonly Dictionary<StatusCode, string[]> Refusals = new()
    {
        [StatusCode.InvalidArgument] = ["invalid_json_parse_body", "invalid_json_body", "missing_device_id", "missing_app_id", "semver_error"],
        [StatusCode.ResourceExhausted] = ["on_premise_app", "too_many_requests"],
    };

    /// <summary>True for an answer of the histogram that means the server failed, not the client.</summary>
    public static bool IsServerFailure(string answer) =>
        answer.StartsWith(nameof(StatusCode.Internal), StringComparison.Ordinal) || answer.StartsWith(nameof(StatusCode.Unknown), StringComparison.Ordinal) ||
        answer.StartsWith(nameof(StatusCode.DataLoss), StringComparison.Ordinal) || answer.StartsWith("http", StringComparison.Ordinal) ||
        answer.StartsWith("no-status", StringComparison.Ordinal) || answer.StartsWith("transport", StringComparison.Ordinal);

    /// <summary>
    /// Sends <paramref name="count"/> payloads from <paramref name="workers"/> workers at once; with
    /// <paramref name="flood"/>, valid <c>CheckForUpdate</c> requests only, each from a new device.
    /// </summary>
    public async Task RunAsync(int seed, int count, int workers, FuzzResults results, bool flood = false)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mutator = new MessageMutator(seed * 31 + worker);
            while (Interlocked.Increment(ref next) < count)
            {
                var (payload, kind) = mutator.Next(flood);

                // Echo's request is one string: the same bytes, another parser.
                var path = !flood && mutator.Random.Next(20) == 0 ? RawGrpc.EchoPath : RawGrpc.CheckPath;
                await SendOneAsync(path, payload, kind, results).ConfigureAwait(false);
            }
        })));
    }

    private async Task SendOneAsync(string path, byte[] payload, string kind, FuzzResults results)
    {
        var target = Target + (path == RawGrpc.EchoPath ? "Echo" : "CheckForUpdate") + " " + kind;
        RawGrpcAnswer answer;
        try
        {
            using var request = RawGrpc.Request(path, RawGrpc.Frame(payload));
            answer = await RawGrpc.SendAsync(client, request).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            results.Count(target, "transport-error");
            results.Fail(target, kind, payload, ex.GetType().Name + ": " + ex.Message + " / " + ex.InnerException?.Message);
            return;
        }

        results.Count(target, answer.Name);
        if (Violation(path, payload, answer) is { } violation)
        {
            results.Fail(target, kind, payload, violation);
        }
    }

    private static string? Violation(string path, byte[] payload, RawGrpcAnswer answer)
    {
        if (answer.Http != HttpStatusCode.OK || answer.Status is not { } status)
        {
            return $"HTTP {(int)answer.Http}, grpc-status {answer.Status}";
        }

        if (status == StatusCode.OK)
        {
            return Reply(path, answer.Body);
        }

        if (status == StatusCode.ResourceExhausted && answer.Error is null && answer.Message == OverLimitDetail)
        {
            return payload.Length > MessageMutator.MessageLimit ? null : $"{payload.Length} bytes refused as over the {MessageMutator.MessageLimit}-byte limit";
        }

        if (!Refusals.TryGetValue(status, out var codes))
        {
            return $"status {status}: {answer.Message}";
        }

        return answer.Error is not null && codes.Contains(answer.Error, StringComparer.Ordinal)
            ? null
            : $"status {status} with capgo-error '{answer.Error}' (expected one of {string.Join(", ", codes)}): {answer.Message}";
    }

    /// <summary>Null when the body is one uncompressed frame holding the method's reply, else what is wrong.</summary>
    private static string? Reply(string path, byte[] body)
    {
        if (body.Length < 5 || body[0] != 0 || BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)) != body.Length - 5)
        {
            return $"OK with {body.Length} bytes, not one frame";
        }

        try
        {
            IMessage reply = path == RawGrpc.EchoPath ? EchoReply.Parser.ParseFrom(body, 5, body.Length - 5) : UpdateReply.Parser.ParseFrom(body, 5, body.Length - 5);
            return null;
        }
        catch (InvalidProtocolBufferException ex)
        {
            return "OK with a reply that does not parse: " + ex.Message;
        }
    }
}
