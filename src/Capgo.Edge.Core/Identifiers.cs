namespace Capgo.Edge.Core;

/// <summary><c>^[a-z0-9]+(\.[\w-]+)+$</c>, case-insensitive, without a regex engine.</summary>
public static class AppIds
{
    public static bool IsValid(string? appId)
    {
        if (string.IsNullOrEmpty(appId))
        {
            return false;
        }

        var s = appId.AsSpan();
        var i = 0;
        while (i < s.Length && char.IsAsciiLetterOrDigit(s[i]))
        {
            i++;
        }

        if (i == 0 || i == s.Length)
        {
            return false;
        }

        var segments = 0;
        while (i < s.Length)
        {
            if (s[i] != '.')
            {
                return false;
            }

            i++;
            var start = i;
            while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '-'))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }

            segments++;
        }

        return segments > 0;
    }
}

/// <summary>A UUID of any version, any case: 8-4-4-4-12 hexadecimal digits.</summary>
public static class DeviceIds
{
    public static bool IsValid(string? deviceId)
    {
        if (deviceId is null || deviceId.Length != RequestValidator.MaxDeviceIdLength)
        {
            return false;
        }

        for (var i = 0; i < deviceId.Length; i++)
        {
            var c = deviceId[i];
            if (i is 8 or 13 or 18 or 23)
            {
                if (c != '-')
                {
                    return false;
                }
            }
            else if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
