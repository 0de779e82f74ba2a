namespace Capgo.Edge.Tests.Support;

/// <summary>The capgo-edge command line run in process, as a pipeline runs it, with its output captured.</summary>
public static class CliRun
{
    /// <summary>Runs the command; its exit code, standard output and standard error.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Capgo.Edge.Cli.CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command that must succeed; its standard output.</summary>
    public static async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.True(code == 0, $"{string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }
}
