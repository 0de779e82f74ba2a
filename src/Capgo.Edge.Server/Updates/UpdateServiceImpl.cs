using System.Globalization;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Observability;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// The update service on both transports. gRPC callers get typed replies and gRPC status codes;
/// JSON callers (through transcoding) get the plugin's bodies and HTTP statuses.
/// </summary>
[BindServiceMethod(typeof(UpdateServiceBinding), nameof(UpdateServiceBinding.BindService))]
internal sealed class UpdateServiceImpl : UpdateService.UpdateServiceBase
{
    public const string GenerationHeader = "x-capgo-generation";
    public const string ErrorTrailer = "capgo-error";

    private const string Grpc = EdgeMetrics.Grpc;
    private const string Json = EdgeMetrics.Json;

    private static readonly Func<object, Task> SetStatus400 = static state => SetStatus(state, StatusCodes.Status400BadRequest);
    private static readonly Func<object, Task> SetStatus503 = static state => SetStatus(state, StatusCodes.Status503ServiceUnavailable);
    private static readonly Func<object, Task> SetStatus429 = static state => SetStatus(state, StatusCodes.Status429TooManyRequests);

    private readonly CheckEvaluator _evaluator;
    private readonly AbuseGuard _abuse;
    private readonly EdgeMetrics _metrics;

    public UpdateServiceImpl(CheckEvaluator evaluator, AbuseGuard abuse, EdgeMetrics metrics)
    {
        _evaluator = evaluator;
        _abuse = abuse;
        _metrics = metrics;
    }

    public override Task<UpdateReply> CheckForUpdate(UpdateRequest request, ServerCallContext context)
    {
        var started = _metrics.StartCheck();
        var http = context.GetHttpContext();
        var isGrpc = IsGrpc(http);
        var transport = isGrpc ? Grpc : Json;

        // Throttled apps are answered before validation (the JSON guard does the same for HTTP bodies).
        if (_abuse.IsThrottled(request.HasAppId ? request.AppId : null, out var retryAfter))
        {
            _metrics.CheckRejected(transport, ErrorBody.TooManyRequestsCode, started);
            if (isGrpc)
            {
                throw new RpcException(
                    new Status(StatusCode.ResourceExhausted, ErrorBody.TooManyRequestsMessage),
                    new Metadata { { ErrorTrailer, ErrorBody.TooManyRequestsCode }, { "retry-after", retryAfter.ToString(CultureInfo.InvariantCulture) } });
            }

            http.Response.OnStarting(SetStatus429, http);
            http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            return Task.FromResult(new UpdateReply { Error = ErrorBody.TooManyRequestsCode, Message = ErrorBody.TooManyRequestsMessage });
        }

        var raw = RequestMapping.ToRaw(request);
        var error = RequestValidator.Validate(raw, out var check);
        if (error is not null)
        {
            _metrics.CheckRejected(transport, error.Code, started);
            if (isGrpc)
            {
                throw new RpcException(
                    new Status(StatusCode.InvalidArgument, Describe(error)),
                    new Metadata { { ErrorTrailer, error.Code } });
            }

            http.Response.OnStarting(SetStatus400, http);
            return Task.FromResult(ReplyBuilder.Rejection(error));
        }

        if (!_evaluator.IsReady(transport, started))
        {
            if (isGrpc)
            {
                throw new RpcException(
                    new Status(StatusCode.Unavailable, CheckEvaluator.NotReadyMessage),
                    new Metadata { { ErrorTrailer, CheckEvaluator.NotReadyCode } });
            }

            http.Response.OnStarting(SetStatus503, http);
            return Task.FromResult(new UpdateReply { Error = CheckEvaluator.NotReadyCode, Message = CheckEvaluator.NotReadyMessage });
        }

        var decision = _evaluator.Decide(raw, check, http.Connection.RemoteIpAddress, transport, started, out var app);
        if (decision.Outcome == Outcome.OnPremiseApp)
        {
            if (isGrpc)
            {
                var trailers = new Metadata { { ErrorTrailer, Outcomes.Code(decision.Outcome) } };
                if (app is not null)
                {
                    // A known but inactive app: this answer too names the generation it came from.
                    trailers.Add(GenerationHeader, app.GenerationText);
                }

                throw new RpcException(new Status(StatusCode.ResourceExhausted, Outcomes.Message(decision, check)), trailers);
            }

            http.Response.OnStarting(SetStatus429, http);
        }

        if (app is not null)
        {
            // Every reply names the generation it was computed from.
            if (isGrpc)
            {
                AddGenerationTrailer(context, http, app);
            }
            else
            {
                http.Response.Headers[GenerationHeader] = app.GenerationText;
            }
        }

        return ReplyBuilder.BuildTask(decision, check);
    }

    public override Task<EchoReply> Echo(EchoRequest request, ServerCallContext context) =>
        Task.FromResult(new EchoReply { Payload = request.Payload });

    /// <summary>
    /// Writes the generation into the HTTP/2 trailers that carry <c>grpc-status</c>, rather than through
    /// <see cref="ServerCallContext.ResponseTrailers"/> (a <see cref="Metadata"/> per call that
    /// Grpc.AspNetCore copies into the same trailers when the call ends): in paired load slices the
    /// check cost 1.27× an echo's CPU per request that way and 1.20× written directly, the same as
    /// with no trailer at all (docs/performance.md §4e). A call's trailers start empty, so one indexer
    /// set does what <c>AppendTrailer</c> does with two feature lookups and a read-concat-write
    /// (<c>CheckStagesBenchmarks.Trailer</c>, §4f). Hosts without response trailers (test doubles) get
    /// the <see cref="Metadata"/> path.
    /// </summary>
    internal static void AddGenerationTrailer(ServerCallContext context, HttpContext http, AppSnapshot app)
    {
        if (http.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { IsReadOnly: false } trailers)
        {
            trailers[GenerationHeader] = app.GenerationText;
        }
        else
        {
            context.ResponseTrailers.Add(GenerationHeader, app.GenerationText);
        }
    }

    private static bool IsGrpc(HttpContext http) =>
        http.Request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    private static string Describe(RequestError error)
    {
        if (error.Issues.Count == 0)
        {
            return error.Message;
        }

        return error.Message + ": " + string.Join("; ", error.Issues.Select(static i => $"{i.Field}: {i.Message}"));
    }

    private static Task SetStatus(object state, int status)
    {
        ((HttpContext)state).Response.StatusCode = status;
        return Task.CompletedTask;
    }
}

/// <summary>Maps the typed request onto the transport-neutral raw check.</summary>
internal static class RequestMapping
{
    public static RawUpdateCheck ToRaw(UpdateRequest request) => new()
    {
        AppId = request.HasAppId ? request.AppId : null,
        DeviceId = request.HasDeviceId ? request.DeviceId : null,
        VersionName = request.HasVersionName ? request.VersionName : null,
        VersionBuild = request.HasVersionBuild ? request.VersionBuild : null,
        Platform = request.HasPlatform ? request.Platform : null,
        PluginVersion = request.HasPluginVersion ? request.PluginVersion : null,
        IsEmulator = request.HasIsEmulator ? request.IsEmulator : null,
        IsProd = request.HasIsProd ? request.IsProd : null,
        DefaultChannel = request.HasDefaultChannel ? request.DefaultChannel : null,
        InstallSource = request.HasInstallSource ? request.InstallSource : null,
        KeyId = request.HasKeyId ? request.KeyId : null,
        CustomId = request.HasCustomId ? request.CustomId : null,
        VersionCode = request.HasVersionCode ? request.VersionCode : null,
        VersionOs = request.HasVersionOs ? request.VersionOs : null,
        // No field at all: the gRPC form of an empty JSON object. Flags only, no size computation.
        IsEmpty = !(request.HasAppId || request.HasDeviceId || request.HasVersionName || request.HasVersionBuild ||
                    request.HasPlatform || request.HasPluginVersion || request.HasIsEmulator || request.HasIsProd ||
                    request.HasDefaultChannel || request.HasInstallSource || request.HasKeyId || request.HasCustomId ||
                    request.HasVersionCode || request.HasVersionOs),
    };
}
