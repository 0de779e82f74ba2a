namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>A temporary folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capgo-edge-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes a file atomically (write beside, then rename), so a watcher never sees half of it.</summary>
    public void WriteAtomically(string fileName, string content)
    {
        var target = System.IO.Path.Combine(Path, fileName);
        var temp = System.IO.Path.Combine(Path, "." + fileName + "." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllText(temp, content);
        File.Move(temp, target, overwrite: true);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
