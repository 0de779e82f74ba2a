namespace Capgo.Edge.Server.Updates;

/// <summary>
/// <c>Echo</c> (section <c>Echo</c>): the load tests' transport baseline. It returns its input and
/// reveals nothing, so it is on by default; <c>Echo:Enabled=false</c> answers it UNIMPLEMENTED.
/// </summary>
internal sealed class EchoOptions
{
    public const string Section = "Echo";

    public bool Enabled { get; set; } = true;
}
