using Capgo.Edge.ControlPlane.Service;

ServiceHost.Build(args).Run();

/// <summary>The entry point.</summary>
public partial class Program;
