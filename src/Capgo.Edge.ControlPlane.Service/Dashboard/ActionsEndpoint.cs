using System.Security.Claims;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.Redis;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// The rollout actions (pause, resume, set share, promote, roll back) in two steps: the first post shows
/// what will change and asks to confirm; the confirmed post applies it as one <see cref="AppChanges"/>
/// change (atomic, announced, recorded with the key's name as actor), at the generation the person saw,
/// so a change made meanwhile by anyone else refuses it instead of being overwritten.
/// </summary>
internal static class ActionsEndpoint
{
    private sealed record Step(string Operation, string Describe, string Done);

    private static readonly Dictionary<string, Step> Actions = new(StringComparer.Ordinal)
    {
        ["pause"] = new("rollout pause", "Pause the rollout: devices not already on its bundle get the channel's bundle.", "rollout paused"),
        ["resume"] = new("rollout resume", "Resume the rollout; its guard counts from now.", "rollout resumed"),
        ["set"] = new("rollout set", "Change the rollout's share; devices already in it stay in it.", "share changed"),
        ["promote"] = new("rollout promote", "Point the channel at the rollout's bundle for every device and end the rollout.", "rollout promoted"),
        ["rollback"] = new("rollback", "Point the channel back at the previous bundle of its history and end any rollout.", "rolled back"),
    };

    public static async Task<IResult> PostAsync(
        HttpContext http,
        string app,
        string channel,
        string action,
        [FromForm] long generation,
        [FromForm] string? percent,
        [FromForm] string? confirmed,
        ClaimsPrincipal user,
        AppChanges changes,
        ReleaseOperations operations,
        IAntiforgery antiforgery,
        TimeProvider time)
    {
        var actor = SignInPage.Session(user).Actor;
        var af = Html.Antiforgery(antiforgery, http);
        if (DashboardSetup.Refuse(user, app, af) is { } refused)
        {
            return refused;
        }

        var back = $"/dashboard/apps/{Html.Segment(app)}/channels/{Html.Segment(channel)}";
        if (!Actions.TryGetValue(action, out var what))
        {
            return Html.Page("Unknown action", actor, Html.Notice("error", $"There is no action '{action}'."), StatusCodes.Status404NotFound, af);
        }

        int? bps = null;
        if (action == "set" && (bps = RolloutEdits.ParsePercent(percent ?? "")) is null)
        {
            return Html.Page("Refused", actor, Html.Notice("error", $"'{percent}' is not a share between 0 and 100 %.") + BackLink(back), StatusCodes.Status400BadRequest, af);
        }

        if (confirmed != "yes")
        {
            return Confirm(app, channel, action, what, generation, percent, actor, af, back);
        }

        var context = new ChangeContext(actor, what.Operation, "from the dashboard");
        try
        {
            var change = action == "rollback"
                ? await operations.RollbackAsync(app, channel, context, ifGeneration: generation).ConfigureAwait(false)
                : await changes.ApplyAsync(app, context, Edit(action, channel, bps, time), generation, http.RequestAborted).ConfigureAwait(false);
            return Results.Redirect($"{back}?done={Uri.EscapeDataString($"{what.Done} (generation {change.After})")}", permanent: false, preserveMethod: false);
        }
        catch (StaleGenerationException ex)
        {
            return Html.Page("Refused", actor, Html.Notice("error", $"Refused: the app changed since you loaded the page ({ex.Message}). Nothing was changed; review the channel and try again.") + BackLink(back), StatusCodes.Status409Conflict, af);
        }
        catch (PublishException ex)
        {
            return Html.Page("Refused", actor, Html.Notice("error", $"Refused: {ex.Message}. Nothing was changed.") + BackLink(back), StatusCodes.Status409Conflict, af);
        }
    }

    private static Action<JsonObject> Edit(string action, string channel, int? bps, TimeProvider time) => action switch
    {
        "pause" => document => RolloutEdits.Pause(document, channel),
        "resume" => document => RolloutEdits.Resume(document, channel, time.GetUtcNow().ToUnixTimeMilliseconds()),
        "set" => document => RolloutEdits.SetPercentage(document, channel, bps!.Value),
        "promote" => document => RolloutEdits.Promote(document, channel),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "not an edit"),
    };

    private static IResult Confirm(string app, string channel, string action, Step what, long generation, string? percent, string actor, string antiforgery, string back)
    {
        var share = action == "set" ? $"<input type=\"hidden\" name=\"percent\" value=\"{Html.E(percent)}\"><p>New share: <b>{Html.E(percent)} %</b></p>" : "";
        var body = $"""
            <h1>Confirm: {Html.E(what.Operation)} on {Html.E(app)} / {Html.E(channel)}</h1>
            <p>{Html.E(what.Describe)}</p>{share}
            <p class="muted">Applies only if the app is still at generation {generation}; recorded in the channel's history as {Html.E(actor)}.</p>
            <form method="post" action="{back}/actions/{Html.E(action)}" class="actions">{antiforgery}
            <input type="hidden" name="generation" value="{generation}"><input type="hidden" name="confirmed" value="yes">
            <button type="submit" class="danger" id="confirm">Confirm {Html.E(what.Operation)}</button> <a href="{back}" id="cancel">Cancel</a></form>
            """;
        return Html.Page("Confirm", actor, body, antiforgery: antiforgery);
    }

    private static string BackLink(string back) => $"<p><a href=\"{back}\" id=\"back\">Back to the channel</a></p>";
}
