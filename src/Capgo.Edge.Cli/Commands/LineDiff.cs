namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// A line diff of two indented JSON documents for <c>--dry-run</c>: the changed lines (<c>-</c> removed,
/// <c>+</c> added) with two lines of context, hunks separated by <c>@@ line N</c>. Documents are
/// small (hundreds of lines), so the plain longest-common-subsequence table is cheap enough.
/// </summary>
internal static class LineDiff
{
    private const int Context = 2;

    public static List<string> Of(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        // Each line of the edit script: ' ', '-' or '+', the text, and its line in the document after the change.
        var script = new List<(char Kind, string Text, int Line)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                script.Add((' ', a[x++], ++y));
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                // Removed lines first, as diff prints them.
                script.Add(('-', a[x++], y + 1));
            }
            else
            {
                script.Add(('+', b[y++], y));
            }
        }

        // A line is shown when a change lies within the context of it; a gap starts a new hunk.
        var shown = new bool[script.Count];
        for (var k = 0; k < script.Count; k++)
        {
            if (script[k].Kind != ' ')
            {
                for (var i = Math.Max(0, k - Context); i <= Math.Min(script.Count - 1, k + Context); i++)
                {
                    shown[i] = true;
                }
            }
        }

        var lines = new List<string>();
        for (var k = 0; k < script.Count; k++)
        {
            if (!shown[k])
            {
                continue;
            }

            if (k == 0 || !shown[k - 1])
            {
                lines.Add($"@@ line {script[k].Line}");
            }

            lines.Add($"{script[k].Kind} {script[k].Text.TrimEnd('\r')}");
        }

        return lines;
    }
}
