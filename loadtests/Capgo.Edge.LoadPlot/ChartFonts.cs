using ScottPlot;

namespace Capgo.Edge.LoadPlot;

/// <summary>
/// The font every label is drawn in: DejaVu Sans shipped beside the tool (fonts/README.md), because the SkiaSharp
/// native assets linked without fontconfig only look in /usr/share/fonts, which a bare machine does not have,
/// and then draw no text at all.
/// </summary>
internal static class ChartFonts
{
    public const string Name = "Capgo Chart Sans";

    private static readonly Lazy<string> Registered = new(() =>
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "fonts");
        Fonts.AddFontFile(Name, Path.Combine(folder, "DejaVuSans-subset.ttf"), bold: false, italic: false);
        Fonts.AddFontFile(Name, Path.Combine(folder, "DejaVuSans-Bold-subset.ttf"), bold: true, italic: false);
        return Name;
    });

    /// <summary>Draws every label of <paramref name="plot"/> in the shipped font.</summary>
    public static void Apply(Plot plot) => plot.Font.Set(Registered.Value);
}
