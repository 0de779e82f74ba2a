using System.Runtime.CompilerServices;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// Turns a decision into the reply. Offers depend only on (bundle × manifest gate × metadata gate), so
/// each variant is built once per bundle and shared; so are the replies whose fields never change (up
/// to date, already on builtin, no channel…). Shared replies are kept as completed tasks of
/// <see cref="CheckReply"/>, which carries their encoded bytes.
/// </summary>
internal static class ReplyBuilder
{
    private static readonly ConditionalWeakTable<Bundle, Task<CheckReply>?[]> Offers = [];
    private static readonly Task<CheckReply>?[] Constant = new Task<CheckReply>?[Outcomes.Count];

    /// <summary>The reply as a completed task: shared for offers and constant outcomes, else built for this request.</summary>
    public static Task<CheckReply> Reply(in UpdateDecision decision, in UpdateCheck check) =>
        Shared(decision, check) ?? Task.FromResult(CheckReply.For(Build(decision, check)));

    /// <summary>The shared reply of this decision, or null when the reply carries values from the request.</summary>
    public static Task<CheckReply>? Shared(in UpdateDecision decision, in UpdateCheck check)
    {
        if (decision.Outcome == Outcome.UpdateAvailable)
        {
            return Offer(decision.Bundle!, decision.IncludeManifest, decision.IncludeMetadata);
        }

        return IsConstant(decision) ? Constant[(int)decision.Outcome] ??= Share(Build(decision, check)) : null;
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
            return Offer(decision.Bundle!, decision.IncludeManifest, decision.IncludeMetadata).Result.Message;
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

    public static Task<CheckReply> Offer(Bundle bundle, bool includeManifest, bool includeMetadata)
    {
        var variants = Offers.GetValue(bundle, static _ => new Task<CheckReply>?[4]);
        var index = (includeManifest ? 1 : 0) | (includeMetadata ? 2 : 0);
        return variants[index] ??= Share(CreateOffer(bundle, includeManifest, includeMetadata));
    }

    private static Task<CheckReply> Share(UpdateReply reply) => Task.FromResult(CheckReply.Shared(reply));

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
}
