using Capgo.Edge.Server.Hosting;

EdgeHost.Build(args).Run();

/// <summary>The entry point.</summary>
public partial class Program;
