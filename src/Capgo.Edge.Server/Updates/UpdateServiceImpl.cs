using System.Globalization;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Observability;
using Capgo.Edge.Server.Plugin;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// The update service over gRPC: typed replies, and gRPC status codes with a <c>capgo-error</c> trailer
/// for everything that is not a reply. The plugin's HTTP JSON check is <see cref="JsonCheckEndpoint"/>.
/// </summary>
[BindServiceMethod(typeof(UpdateServiceBinding), nameof(UpdateServiceBinding.BindService))]
internal sealed class UpdateServiceImpl : UpdateServiceBinding.ServiceBase
{
    public const string GenerationHeader = "x-capgo-generation";
    public const string ErrorTrailer = "capgo-error";

    /// <summary>The longest status detail sent, in characters (<see cref="Describe"/>).</summary>
    internal const int MaxDetailLength = 512;

    private const string Transport = EdgeMetrics.Grpc;

    private readonly CheckEvaluator _evaluator;
    private readonly AbuseGuard _abuse;
    private readonly EdgeMetrics _metrics;
    private readonly bool _echo;

    public UpdateServiceImpl(CheckEvaluator evaluator, AbuseGuard abuse, EdgeMetrics metrics, IOptions<EchoOptions> echo)
    {
        _evaluator = evaluator;
        _abuse = abuse;
        _metrics = metrics;
        _echo = echo.Value.Enabled;
    }

    public override Task<CheckReply> CheckForUpdate(UpdateRequest request, ServerCallContext context)
    {
        var started = _metrics.StartCheck();

        // A throttled app is answered before validation (update-check.md §2.1).
        if (_abuse.IsThrottled(request.HasAppId ? request.AppId : null, out var retryAfter))
        {
            _metrics.CheckRejected(Transport, PluginReplies.TooManyRequestsCode, started);
            throw new RpcException(
                new Status(StatusCode.ResourceExhausted, PluginReplies.TooManyRequestsMessage),
                new Metadata { { ErrorTrailer, PluginReplies.TooManyRequestsCode }, { "retry-after", retryAfter.ToString(CultureInfo.InvariantCulture) } });
        }

        var raw = RequestMapping.ToRaw(request);
        var error = RequestValidator.Validate(raw, out var check);
        if (error is not null)
        {
            _metrics.CheckRejected(Transport, error.Code, started);
            throw new RpcException(new Status(StatusCode.InvalidArgument, Describe(error)), new Metadata { { ErrorTrailer, error.Code } });
        }

        if (!_evaluator.IsReady(Transport, started))
        {
            throw new RpcException(
                new Status(StatusCode.Unavailable, PluginReplies.NotReady.Message),
                new Metadata { { ErrorTrailer, PluginReplies.NotReady.Code } });
        }

        var http = context.GetHttpContext();
        var decision = _evaluator.Decide(raw, check, http.Connection.RemoteIpAddress, Transport, started, out var app);
        if (decision.Outcome == Outcome.OnPremiseApp)
        {
            var trailers = new Metadata { { ErrorTrailer, Outcomes.Code(decision.Outcome) } };
            if (app is not null)
            {
                // A known but inactive app: this answer too names the generation it came from.
                trailers.Add(GenerationHeader, app.GenerationText);
            }

            throw new RpcException(new Status(StatusCode.ResourceExhausted, Outcomes.Message(decision, check)), trailers);
        }

        return app is null ? ReplyBuilder.Reply(decision, check) : Reply(decision, check, app);
    }

    /// <summary>
    /// The reply naming the generation it was computed from in its <c>generation</c> field: a shared
    /// reply's bytes with the field appended, made once per snapshot; a reply built for this request
    /// with the field added when the marshaller writes it.
    /// </summary>
    private static Task<CheckReply> Reply(in UpdateDecision decision, in UpdateCheck check, AppSnapshot app)
    {
        if (ReplyBuilder.Shared(decision, check) is { } shared)
        {
            return WithGeneration(shared, app);
        }

        return Task.FromResult(CheckReply.For(ReplyBuilder.Build(decision, check), app.Generation));
    }

    /// <summary>A shared reply with the snapshot's generation appended, made once per snapshot and reply.</summary>
    internal static Task<CheckReply> WithGeneration(Task<CheckReply> shared, AppSnapshot app) =>
        app.Derived.GetOrAdd(shared, app, static (reply, snapshot) => Task.FromResult(reply.Result.WithGeneration(snapshot.Generation)));

    public override Task<EchoReply> Echo(EchoRequest request, ServerCallContext context) =>
        _echo
            ? Task.FromResult(new EchoReply { Payload = request.Payload })
            : throw new RpcException(new Status(StatusCode.Unimplemented, "Echo is turned off (Echo:Enabled)"));

    /// <summary>
    /// The status detail of a refused request. It travels in the <c>grpc-message</c> trailer and may
    /// quote the request (<c>semver_error</c> names the version sent): past <see cref="MaxDetailLength"/>
    /// characters it is cut, or a 64 KiB version percent-encoded would take the trailers past what
    /// clients accept (64 KiB in .NET's HTTP/2 client) and fail the connection with every call on it.
    /// </summary>
    internal static string Describe(RequestError error)
    {
        var detail = error.Issues.Count == 0
            ? error.Message
            : error.Message + ": " + string.Join("; ", error.Issues.Select(static i => $"{i.Field}: {i.Message}"));
        return detail.Length <= MaxDetailLength ? detail : string.Concat(detail.AsSpan(0, MaxDetailLength), "…");
    }
}
