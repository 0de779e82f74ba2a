using Capgo.Edge.Cli;

// Progress lines only on a terminal: a pipeline's logs stay one line per event.
return await CliApp.RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected && !Console.IsErrorRedirected).ConfigureAwait(false);
