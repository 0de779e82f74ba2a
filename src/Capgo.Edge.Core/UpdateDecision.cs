namespace Capgo.Edge.Core;

/// <summary>Which candidate chose the channel.</summary>
public enum ChannelSource : byte
{
    None,
    Override,
    DefaultChannel,
    Public,
}

/// <summary>The result of <see cref="UpdateDecider.Decide"/>: a value, never allocated.</summary>
public readonly struct UpdateDecision
{
    internal UpdateDecision(
        Outcome outcome,
        Channel? channel = null,
        ChannelSource source = ChannelSource.None,
        Bundle? bundle = null,
        string? version = null,
        string? old = null,
        bool major = false,
        int rolloutBucket = -1,
        bool inRollout = false,
        bool includeManifest = false,
        bool includeMetadata = false)
    {
        Outcome = outcome;
        Channel = channel;
        Source = source;
        Bundle = bundle;
        Version = version;
        Old = old;
        Major = major;
        RolloutBucket = rolloutBucket;
        InRollout = inRollout;
        IncludeManifest = includeManifest;
        IncludeMetadata = includeMetadata;
    }

    public Outcome Outcome { get; }
    public OutcomeKind Kind => Outcomes.Kind(Outcome);
    public Channel? Channel { get; }
    public ChannelSource Source { get; }

    /// <summary>V when it is a real bundle (null when V is builtin).</summary>
    public Bundle? Bundle { get; }

    /// <summary>The <c>version</c> field of a blocked or builtin reply.</summary>
    public string? Version { get; }

    /// <summary>The <c>old</c> field of a blocked reply.</summary>
    public string? Old { get; }

    public bool Major { get; }

    /// <summary>The device's bucket in the channel's live rollout, or -1 when no rollout applied.</summary>
    public int RolloutBucket { get; }

    public bool InRollout { get; }

    /// <summary>The offer carries the manifest (bundle has one and the plugin reads it).</summary>
    public bool IncludeManifest { get; }

    /// <summary>The offer carries link/comment (app exposes metadata and the plugin reads it).</summary>
    public bool IncludeMetadata { get; }
}
