namespace Capgo.Edge.Cli;

/// <summary>The exit codes scripts rely on (the stable interface, listed in the root help).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int Refused = 2;
    public const int Lagging = 3;
    public const int Unreachable = 4;

    public const string Summary = "Exit codes: 0 done, 1 usage, 2 refused (nothing written), 3 edges lagging, 4 Redis unreachable.";
}
