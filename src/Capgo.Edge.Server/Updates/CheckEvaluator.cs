using System.Net;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Observability;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// The part of an update check both transports share once the request is valid: the projection
/// lookup behind the abuse guard (which records unknown apps), the decision, the metric and the
/// device event. The transports differ only in how they read the request and write the answer.
/// </summary>
internal sealed class CheckEvaluator
{
    private readonly ProjectionStore _store;
    private readonly AbuseGuard _abuse;
    private readonly EdgeMetrics _metrics;
    private readonly EventQueue _events;

    public CheckEvaluator(ProjectionStore store, AbuseGuard abuse, EdgeMetrics metrics, EventQueue events)
    {
        _store = store;
        _abuse = abuse;
        _metrics = metrics;
        _events = events;
    }

    /// <summary>
    /// False until the first projection is loaded. Serving nothing beats serving something wrong:
    /// an unknown app before then proves nothing. Counts the rejection when false.
    /// </summary>
    public bool IsReady(string transport, long started)
    {
        if (_store.IsLoaded)
        {
            return true;
        }

        _metrics.CheckRejected(transport, Plugin.PluginReplies.NotReady.Code, started);
        return false;
    }

    /// <summary>Decides one valid check; <paramref name="app"/> is the snapshot the answer came from, if any.</summary>
    public UpdateDecision Decide(in RawUpdateCheck raw, in UpdateCheck check, IPAddress? client, string transport, long started, out AppSnapshot? app)
    {
        // A network that enumerated app ids gets on_premise_app, for a while, for apps it was not served before.
        app = _abuse.Find(_store, client, check.AppId);
        var decision = UpdateDecider.Decide(app, check);
        _metrics.CheckDecided(transport, decision.Outcome, started);

        // The control plane counts devices per bundle and sees why they did not update; never waits.
        _events.TryEnqueueCheck(check, raw, decision, started);
        return decision;
    }
}
