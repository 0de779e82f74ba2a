using Capgo.Edge.Server.Hosting;

return await EdgeExit.RunAsync(EdgeHost.Build(args)).ConfigureAwait(false);

/// <summary>The entry point.</summary>
public partial class Program;
