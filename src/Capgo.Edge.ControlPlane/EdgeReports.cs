namespace Capgo.Edge.ControlPlane;

/// <summary>What an edge reports serving for one app.</summary>
public sealed record EdgeAck(string Edge, long Generation, long OverridesGeneration);

/// <summary>The app as edges see it.</summary>
public sealed record AppInfo(
    string AppId,
    long Generation,
    long OverridesGeneration,
    string Status,
    IReadOnlyList<string> Channels,
    int Bundles,
    long Overrides,
    IReadOnlyList<EdgeAck> Edges);

/// <summary>The outcome of waiting for edges to serve a generation.</summary>
public sealed record WaitResult(bool AllServing, IReadOnlyList<string> Serving, IReadOnlyList<string> Lagging);
