namespace Capgo.Edge.Core;

public enum Platform : byte
{
    Ios = 0,
    Android = 1,
    Electron = 2,
}

public static class PlatformNames
{
    public const int Count = 3;

    public static bool TryParse(string? value, out Platform platform)
    {
        switch (value)
        {
            case "ios":
                platform = Platform.Ios;
                return true;
            case "android":
                platform = Platform.Android;
                return true;
            case "electron":
                platform = Platform.Electron;
                return true;
            default:
                platform = default;
                return false;
        }
    }

    public static string Name(Platform platform) => platform switch
    {
        Platform.Ios => "ios",
        Platform.Android => "android",
        _ => "electron",
    };
}
