using System.Runtime.CompilerServices;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// Turns a decision into the wire reply. Offers depend only on (bundle × manifest gate × metadata
/// gate), so each variant is built once per bundle and shared; so are the replies whose fields never
/// change (up to date, already on builtin, no channel…). Shared replies are never mutated, and are
/// kept with every encoding a transport writes (<see cref="SharedReply"/>).
/// </summary>
internal static class ReplyBuilder
{
    private static readonly ConditionalWeakTable<Bundle, SharedReply?[]> Offers = [];
    private static readonly SharedReply?[] Constant = new SharedReply?[Outcomes.Count];

    /// <summary>The reply as a completed task: shared for offers and constant outcomes.</summary>
    public static Task<UpdateReply> BuildTask(in UpdateDecision decision, in UpdateCheck check) =>
        Shared(decision, check)?.Task ?? Task.FromResult(Build(decision, check));

    /// <summary>The shared reply of this decision, or null when the reply carries values from the request.</summary>
    public static SharedReply? Shared(in UpdateDecision decision, in UpdateCheck check)
    {
        if (decision.Outcome == Outcome.UpdateAvailable)
        {
            return Offer(decision.Bundle!, decision.IncludeManifest, decision.IncludeMetadata);
        }

        return IsConstant(decision) ? Constant[(int)decision.Outcome] ??= new SharedReply(Build(decision, check)) : null;
    }

    /// <summary>Outcomes whose reply carries nothing from the request: code, message, kind, fixed version.</summary>
    private static bool IsConstant(in UpdateDecision decision) =>
        decision.Old is null && !decision.Major &&
        (decision.Version is null || decision.Outcome == Outcome.AlreadyOnBuiltin) &&
        decision.Outcome is not (Outcome.KeyIdMismatch or Outcome.UnsupportedPluginVersion or Outcome.MisconfiguredChannel);

    public static UpdateReply Build(in UpdateDecision decision, in UpdateCheck check)
    {
        if (decision.Outcome == Outcome.UpdateAvailable)
        {
            return Offer(decision.Bundle!, decision.IncludeManifest, decision.IncludeMetadata).Reply;
        }

        var reply = new UpdateReply
        {
            Error = Outcomes.Code(decision.Outcome),
            Message = Outcomes.Message(decision, check),
        };
        if (Outcomes.KindName(decision.Kind) is { } kind)
        {
            reply.Kind = kind;
        }

        if (decision.Version is not null)
        {
            reply.Version = decision.Version;
        }

        if (decision.Old is not null)
        {
            reply.Old = decision.Old;
        }

        if (decision.Major)
        {
            reply.Major = true;
        }

        if (decision.Outcome == Outcome.KeyIdMismatch)
        {
            reply.DeviceKeyId = check.KeyId;
            reply.BundleKeyId = decision.Bundle!.KeyId;
        }

        return reply;
    }

    public static SharedReply Offer(Bundle bundle, bool includeManifest, bool includeMetadata)
    {
        var variants = Offers.GetValue(bundle, static _ => new SharedReply?[4]);
        var index = (includeManifest ? 1 : 0) | (includeMetadata ? 2 : 0);
        return variants[index] ??= new SharedReply(CreateOffer(bundle, includeManifest, includeMetadata));
    }

    private static UpdateReply CreateOffer(Bundle bundle, bool includeManifest, bool includeMetadata)
    {
        var reply = new UpdateReply
        {
            Version = bundle.Name,
            Url = bundle.Url ?? UpdateDecider.NoZipPlaceholderUrl,
            SessionKey = bundle.SessionKey,
            Checksum = bundle.Checksum,
        };
        if (includeManifest)
        {
            foreach (var file in bundle.Manifest)
            {
                reply.Manifest.Add(new ManifestEntry { FileName = file.FileName, FileHash = file.FileHash, DownloadUrl = file.DownloadUrl });
            }
        }

        if (includeMetadata)
        {
            if (!string.IsNullOrEmpty(bundle.Link))
            {
                reply.Link = bundle.Link;
            }

            if (!string.IsNullOrEmpty(bundle.Comment))
            {
                reply.Comment = bundle.Comment;
            }
        }

        return reply;
    }

    /// <summary>The reply of an HTTP request the handler itself rejects (the guard normally answers first).</summary>
    public static UpdateReply Rejection(RequestError error)
    {
        var reply = new UpdateReply { Error = error.Code, Message = error.Message, MoreInfo = new Google.Protobuf.WellKnownTypes.Struct() };
        if (error.Issues.Count > 0)
        {
            var issues = new Google.Protobuf.WellKnownTypes.ListValue();
            foreach (var issue in error.Issues)
            {
                var item = new Google.Protobuf.WellKnownTypes.Struct();
                item.Fields["path"] = Google.Protobuf.WellKnownTypes.Value.ForList(Google.Protobuf.WellKnownTypes.Value.ForString(issue.Field));
                item.Fields["message"] = Google.Protobuf.WellKnownTypes.Value.ForString(issue.Message);
                issues.Values.Add(Google.Protobuf.WellKnownTypes.Value.ForStruct(item));
            }

            reply.MoreInfo.Fields["issues"] = Google.Protobuf.WellKnownTypes.Value.ForList([.. issues.Values]);
        }

        return reply;
    }
}

/// <summary>
/// A reply served to many calls, with every form a transport writes made once: a completed task for
/// the gRPC handler, protobuf bytes for its marshaller, UTF-8 JSON for <c>POST /updates</c>.
/// </summary>
internal sealed class SharedReply
{
    public SharedReply(UpdateReply reply)
    {
        Reply = reply;
        Task = System.Threading.Tasks.Task.FromResult(reply);
        Json = JsonReplies.Serialize(reply);
        UpdateServiceBinding.Remember(reply);
    }

    public UpdateReply Reply { get; }

    public Task<UpdateReply> Task { get; }

    public byte[] Json { get; }
}
