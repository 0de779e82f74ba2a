using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Observability;
using Capgo.Edge.Server.Plugin;
using Google.Api;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// <c>CheckForUpdate</c> over the plugin's HTTP JSON protocol, at the route of the method's
/// <c>google.api.http</c> rule (<c>POST /updates</c>). One pass over the body gives the request; the
/// reply is the bytes gRPC JSON transcoding writes for the same message (<see cref="UpdateReplyJson"/>,
/// shared replies encoded once), and every refusal is in the contract's shape (update-check.md).
/// </summary>
internal sealed class JsonCheckEndpoint
{
    private const string Transport = EdgeMetrics.Json;

    private readonly PluginBodyReader _bodies;
    private readonly AbuseGuard _abuse;
    private readonly EdgeMetrics _metrics;
    private readonly CheckEvaluator _evaluator;

    public JsonCheckEndpoint(PluginBodyReader bodies, AbuseGuard abuse, EdgeMetrics metrics, CheckEvaluator evaluator)
    {
        _bodies = bodies;
        _abuse = abuse;
        _metrics = metrics;
        _evaluator = evaluator;
    }

    /// <summary>The route the proto declares for <c>CheckForUpdate</c>.</summary>
    public static string Route { get; } =
        UpdateService.Descriptor.FindMethodByName(nameof(UpdateServiceBinding.ServiceBase.CheckForUpdate)).GetOptions().GetExtension(AnnotationsExtensions.Http).Post;

    public async Task HandleAsync(HttpContext context)
    {
        // Checks refused before the decision (400, 413, 429, 503) count like decided ones.
        var started = _metrics.StartCheck();
        using var body = await _bodies.ReadAsync(context).ConfigureAwait(false);
        if (body.Refusal is { } refused)
        {
            _metrics.CheckRejected(Transport, refused.Code, started);
            return;
        }

        var status = UpdateRequestJson.Read(body.Span, out var raw);

        // A throttled app is answered before validation (update-check.md §2.1).
        if (status == UpdateRequestJson.ReadStatus.Ok && _abuse.IsThrottled(raw.AppId, out var retryAfter))
        {
            _metrics.CheckRejected(Transport, PluginReplies.TooManyRequestsCode, started);
            await PluginReplies.TooManyRequestsAsync(context, retryAfter).ConfigureAwait(false);
            return;
        }

        if (UpdateRequestJson.Validate(status, raw, out var check) is { } error)
        {
            _metrics.CheckRejected(Transport, error.Code, started);
            await PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }

        if (!_evaluator.IsReady(Transport, started))
        {
            await PluginReplies.NotReadyAsync(context).ConfigureAwait(false);
            return;
        }

        await AnswerAsync(context, raw, check, started).ConfigureAwait(false);
    }

    private ValueTask<System.IO.Pipelines.FlushResult> AnswerAsync(HttpContext context, in RawUpdateCheck raw, in UpdateCheck check, long started)
    {
        var response = context.Response;
        var decision = _evaluator.Decide(raw, check, context.Connection.RemoteIpAddress, Transport, started, out var app);
        if (app is not null)
        {
            // Every reply names the generation it was computed from.
            response.Headers[UpdateServiceImpl.GenerationHeader] = app.GenerationText;
        }

        var status = decision.Outcome == Outcome.OnPremiseApp ? StatusCodes.Status429TooManyRequests : StatusCodes.Status200OK;
        if (ReplyBuilder.Shared(decision, check) is { } shared)
        {
            return PluginReplies.BytesAsync(response, status, shared.Result.Json!);
        }

        return PluginReplies.CopyAsync(response, status, UpdateReplyJson.EncodeOnThread(ReplyBuilder.Build(decision, check)));
    }
}
