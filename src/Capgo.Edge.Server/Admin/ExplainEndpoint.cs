using System.Text.Json;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Plugin;
using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Server.Admin;

/// <summary>
/// <c>POST /updates/explain</c> on the admin endpoint: the same body as <c>/updates</c>, answered with
/// the decision and the path that produced it — "why didn't this device update?".
/// </summary>
internal static class ExplainEndpoint
{
    private static readonly string[] Policies =
    [
        "platform", "disable_auto_update", "disable_auto_update_under_native", "allow_prod", "allow_dev", "allow_device", "allow_emulator",
    ];

    /// <summary>Maps the route on the admin group (<see cref="AdminEndpoints"/>), which restricts the port and checks the key.</summary>
    public static IEndpointRouteBuilder MapEdgeExplain(this IEndpointRouteBuilder admin)
    {
        admin.MapPost("/updates/explain", ExplainAsync);
        return admin;
    }

    private static async Task ExplainAsync(HttpContext context, ProjectionStore store, AbuseGuard abuse, PluginBodyReader bodies)
    {
        UpdateCheck check;
        using (var body = await bodies.ReadAsync(context).ConfigureAwait(false))
        {
            if (body.Refusal is not null)
            {
                return;
            }

            // The same checks, in the same order, as POST /updates; read and validated once.
            if (UpdateRequestJson.Validate(body.Span, out check) is { } invalid)
            {
                await PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, invalid).ConfigureAwait(false);
                return;
            }
        }

        var app = store.Find(check.AppId);
        var decision = UpdateDecider.Decide(app, check);
        // The bytes POST /updates writes for this decision; the document lives until the explanation is written.
        using var document = JsonDocument.Parse(UpdateReplyJson.Serialize(ReplyBuilder.Build(decision, check)));
        var reply = document.RootElement;

        // A throttled app is answered before the decision (update-check.md §2.1): that is what the device gets,
        // in the record /updates writes it with.
        var throttled = abuse.IsThrottled(check.AppId, out var retryAfter);
        if (throttled)
        {
            reply = JsonSerializer.SerializeToElement(
                new TooManyRequestsReply(PluginReplies.TooManyRequestsCode, PluginReplies.TooManyRequestsMessage, new RetryInfo(retryAfter)),
                PluginJson.Relaxed.TooManyRequestsReply);
        }

        var explanation = new ExplainReply(
            Status: throttled || decision.Outcome == Outcome.OnPremiseApp ? StatusCodes.Status429TooManyRequests : StatusCodes.Status200OK,
            Reply: reply,
            ThrottledRetryAfterSeconds: throttled ? retryAfter : null,
            Outcome: decision.Outcome == Outcome.UpdateAvailable ? "update_available" : Outcomes.Code(decision.Outcome),
            Kind: Outcomes.KindName(decision.Kind),
            Generation: app?.Generation,
            App: app is null ? null : new ExplainedApp(app.AppId, app.Status, app.ExposeMetadata, app.Overrides.Count),
            Request: new ExplainedRequest(
                VersionName: check.VersionName,
                VersionBuild: check.VersionBuild,
                Platform: check.Platform.ToString().ToLowerInvariant(),
                PluginVersion: check.PluginVersionText,
                DefaultChannel: check.DefaultChannel,
                IsProd: check.IsProd,
                IsEmulator: check.IsEmulator),
            Channel: app is null ? null : ChannelPath(app, decision, check),
            Rollout: decision.Channel?.Rollout is { } rollout
                ? new ExplainedRollout(
                    Id: rollout.Id,
                    Bundle: rollout.Bundle.Name,
                    ShareBps: rollout.ShareBps,
                    Enabled: rollout.Enabled,
                    Paused: rollout.Paused,
                    Live: rollout.IsLive,
                    Bucket: RolloutBucket.Compute(rollout.Id, check.DeviceId),
                    InRollout: decision.InRollout)
                : null,
            Bundle: decision.Bundle?.Name ?? (decision.Channel is { Bundle: null } ? Names.Builtin : null),
            Policies: PolicyTrace(decision));
        await PluginReplies.JsonAsync(context, StatusCodes.Status200OK, explanation, ExplainJson.Web.ExplainReply).ConfigureAwait(false);
    }

    /// <summary>The channel chosen, where it came from, and the override and public channel it was chosen among.</summary>
    private static ExplainedChannel ChannelPath(AppSnapshot app, in UpdateDecision decision, in UpdateCheck check) => new(
        Chosen: decision.Channel?.Name,
        Source: decision.Source switch
        {
            ChannelSource.Override => "override",
            ChannelSource.DefaultChannel => "defaultChannel",
            ChannelSource.Public => "public",
            _ => null,
        },
        Override: app.Overrides.TryGet(check.DeviceId, out var pinned) ? pinned : null,
        OverrideVisible: app.TryGetOverride(check.DeviceId, out var pinnedChannel) && pinnedChannel.IsVisible,
        Requested: check.DefaultChannel,
        PublicForPlatform: app.PublicChannelFor(check.Platform)?.Name);

    /// <summary>Each channel policy in the order they are checked, and what it did for this request.</summary>
    private static PolicyStep[] PolicyTrace(in UpdateDecision decision)
    {
        var blockedAt = decision.Outcome switch
        {
            Outcome.DisabledPlatformIos or Outcome.DisabledPlatformAndroid or Outcome.DisabledPlatformElectron => 0,
            Outcome.DisableAutoUpdateToMajor or Outcome.DisableAutoUpdateToMinor or Outcome.DisableAutoUpdateToPatch
                or Outcome.MisconfiguredChannel or Outcome.DisableAutoUpdateToMetadata => 1,
            Outcome.DisableAutoUpdateUnderNative => 2,
            Outcome.DisableProdBuild => 3,
            Outcome.DisableDevBuild => 4,
            Outcome.DisableDevice => 5,
            Outcome.DisableEmulator => 6,
            _ => -1,
        };
        var reached = blockedAt >= 0 || decision.Outcome is Outcome.UpdateAvailable or Outcome.AlreadyOnBuiltin or Outcome.RevertToBuiltinPluginVersionTooOld;
        var versionChecks = decision.Bundle is not null;
        var trace = new PolicyStep[Policies.Length];
        for (var i = 0; i < Policies.Length; i++)
        {
            var result = !reached ? "not_reached"
                : i == blockedAt ? "blocked"
                : blockedAt >= 0 && i > blockedAt ? "not_reached"
                : (i is 1 or 2) && !versionChecks ? "skipped"
                : "passed";
            trace[i] = new PolicyStep(
                Policy: Policies[i],
                Setting: i == 1 && decision.Channel is { } channel ? PolicyName(channel.DisableAutoUpdate) : null,
                Result: result,
                Code: i == blockedAt ? Outcomes.Code(decision.Outcome) : null);
        }

        return trace;
    }

    /// <summary>The <c>disable_auto_update</c> value as the app document spells it.</summary>
    private static string PolicyName(AutoUpdatePolicy policy) => policy switch
    {
        AutoUpdatePolicy.None => "none",
        AutoUpdatePolicy.Major => "major",
        AutoUpdatePolicy.Minor => "minor",
        AutoUpdatePolicy.Patch => "patch",
        _ => "version_number",
    };
}
