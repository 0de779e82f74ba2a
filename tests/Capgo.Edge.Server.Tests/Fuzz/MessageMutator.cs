using System.Globalization;
using System.Text;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Tests.Stats;
using Google.Protobuf;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// A seeded source of gRPC <c>CheckForUpdate</c> payloads, each with a device id never seen before:
/// valid messages (they reach every per-device table); the same with one to three hostile field values
/// (lengths at and past <see cref="FieldRules"/>, strings near the edge's message limit and past
/// Kestrel's 1 MiB, bad versions, platforms and app ids, invalid UTF-8, unknown and repeated fields);
/// and malformed protobuf (<see cref="ProtoWire"/>). One instance per worker; the same seed gives the
/// same payloads.
/// </summary>
internal sealed class MessageMutator
{
    /// <summary>What a payload is, for the report; the three shares are about 50 %, 25 % and 25 %.</summary>
    public const string Valid = "valid";
    public const string Fields = "hostile-fields";
    public const string Malformed = "malformed";

    /// <summary>The edge's gRPC message limit (<c>HttpApi:MaxRequestBodyBytes</c>'s default): many payloads end near it.</summary>
    public const int MessageLimit = 64 * 1024;

    private static readonly string[] Apps = [StatsSamples.AppId, StatsSamples.AppId, StatsSamples.AppId, StatsSamples.InactiveAppId, "COM.DEMO.APP"];
    private static readonly char[] Fillers = ['x', 'a', '0', '-', 'F'];
    private static readonly string[] Platforms = ["ios", "android", "electron"];
    private static readonly string[] Plugins = ["4.0.0", "5.2.1", "5.34.0", "6.0.0", "6.34.0", "7.33.99", "8.51.23"];
    private static readonly string[] Channels = ["production", "beta", "dev", "", "nope"];
    private static readonly string[] Weird =
    [
        "", " ", "\u0000", "\u202e", "null", "0", "-1", "1e400", "NaN", "1.2.3.4.5", "9999999999999999999999.0.0", "v1.2.3",
        "1.2.3-", "1.2.3+", "01.2.3", "builtin", "unknown", "../../etc/passwd", "%00", "<script>", "' OR 1=1 --", "com.demo.app\u0000",
        "com..app", ".com.app", "com.demo.app.", "IOS", "Android", "web", "ios ", "\ud83d\ude00", "é", "00009a6b-eefe-490a-9c60-8e965132ae5",
        "00009a6b-eefe-490a-9c60-8e965132ae51-", "00009a6beefe490a9c608e965132ae51", "{00009a6b-eefe-490a-9c60-8e965132ae51}",
        "gggggggg-gggg-gggg-gggg-gggggggggggg",
    ];

    /// <summary>Field numbers of the message's strings, with the limit each has in <see cref="FieldRules"/> (0: none).</summary>
    private static readonly (int Number, int Limit)[] StringFields =
    [
        (1, 0), (2, FieldRules.MaxDeviceIdLength), (3, 0), (4, 0), (5, 0), (6, 0), (9, 0),
        (10, FieldRules.MaxInstallSourceLength), (11, FieldRules.MaxKeyIdLength), (12, FieldRules.MaxCustomIdLength), (13, 0), (14, 0),
    ];

    private readonly Random _random;
    private readonly ProtoWire _wire;

    public MessageMutator(int seed)
    {
        _random = new Random(seed);
        _wire = new ProtoWire(_random);
    }

    public Random Random => _random;

    /// <summary>The next payload (the message's bytes, not yet framed) and its kind.</summary>
    public (byte[] Payload, string Kind) Next(bool flood = false)
    {
        var roll = flood ? 0 : _random.Next(100);
        if (roll < 50)
        {
            return (ValidRequest().ToByteArray(), Valid);
        }

        if (roll < 75)
        {
            return (HostileFields(), Fields);
        }

        return (_wire.Malformed(ValidRequest().ToByteArray()), Malformed);
    }

    /// <summary>A fresh random UUID (from the seeded generator), sometimes upper-case.</summary>
    public string FreshDevice()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        var id = new Guid(bytes).ToString("D");
        return _random.Next(4) == 0 ? id.ToUpperInvariant() : id;
    }

    /// <summary>A request the validator accepts: known, inactive or unknown apps, every platform and plugin generation.</summary>
    private UpdateRequest ValidRequest()
    {
        var request = new UpdateRequest
        {
            AppId = _random.Next(20) == 0 ? $"com.fuzz.app{_random.Next(100_000)}" : Pick(Apps),
            DeviceId = FreshDevice(),
            VersionName = _random.Next(5) == 0 ? "builtin" : SemVerText(),
            VersionBuild = _random.Next(5) == 0 ? "1.0" : SemVerText(),
            Platform = Pick(Platforms),
            PluginVersion = Pick(Plugins),
        };
        if (_random.Next(2) == 0)
        {
            request.IsEmulator = _random.Next(4) == 0;
            request.IsProd = _random.Next(4) != 0;
        }

        if (_random.Next(2) == 0)
        {
            request.DefaultChannel = Pick(Channels);
        }

        if (_random.Next(4) == 0)
        {
            request.CustomId = FreshDevice();
            request.InstallSource = "play_store";
            request.KeyId = "abcdefghij";
            request.VersionCode = _random.Next(1, 1000).ToString(CultureInfo.InvariantCulture);
            request.VersionOs = "17.4";
        }

        return request;
    }

    /// <summary>A valid request with one to three fields made hostile, sometimes with unknown or repeated fields after it.</summary>
    private byte[] HostileFields()
    {
        var request = ValidRequest();
        var utf8Broken = new List<(int Number, byte[] Value)>();
        for (var i = 0; i < 1 + _random.Next(3); i++)
        {
            var (number, limit) = Pick(StringFields);
            switch (_random.Next(9))
            {
                case 0:
                    // At, just under and just past the field's limit (or an ordinary length when it has none).
                    var length = limit > 0 ? limit + _random.Next(-1, 3) : _random.Next(1, 300);
                    Set(request, number, new string(Pick(Fillers), length));
                    break;
                case 1:
                    Set(request, number, Huge());
                    break;
                case 2:
                    Set(request, number, Pick(Weird));
                    break;
                case 3:
                    Clear(request, number);
                    break;
                case 4:
                    Set(request, number, RandomText(_random.Next(64)));
                    break;
                case 5:
                    // Lone surrogates cannot be encoded as UTF-8: invalid bytes go in at the wire level.
                    utf8Broken.Add((number, Pick(InvalidUtf8)));
                    break;
                case 6:
                    request.VersionBuild = Pick(Weird);
                    break;
                case 7:
                    request.AppId = _random.Next(2) == 0 ? $"com.fuzz.app{_random.Next(100_000)}" : Pick(Weird);
                    break;
                default:
                    request.Platform = Pick(Weird);
                    break;
            }
        }

        using var stream = new MemoryStream();
        request.WriteTo(stream);
        foreach (var (number, value) in utf8Broken)
        {
            // A repeated field: the last occurrence wins, so the broken value is the one read.
            ProtoWire.WriteTag(stream, number, ProtoWire.LengthDelimited);
            ProtoWire.WriteVarint(stream, (ulong)value.Length);
            stream.Write(value);
        }

        if (_random.Next(4) == 0)
        {
            _wire.UnknownFields(stream);
        }

        return stream.ToArray();
    }

    private static readonly byte[][] InvalidUtf8 =
    [
        [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x61, 0xC3, 0x28, 0x62],
    ];

    private static void Set(UpdateRequest request, int number, string value)
    {
        switch (number)
        {
            case 1: request.AppId = value; break;
            case 2: request.DeviceId = value; break;
            case 3: request.VersionName = value; break;
            case 4: request.VersionBuild = value; break;
            case 5: request.Platform = value; break;
            case 6: request.PluginVersion = value; break;
            case 9: request.DefaultChannel = value; break;
            case 10: request.InstallSource = value; break;
            case 11: request.KeyId = value; break;
            case 12: request.CustomId = value; break;
            case 13: request.VersionCode = value; break;
            default: request.VersionOs = value; break;
        }
    }

    private static void Clear(UpdateRequest request, int number)
    {
        switch (number)
        {
            case 1: request.ClearAppId(); break;
            case 2: request.ClearDeviceId(); break;
            case 3: request.ClearVersionName(); break;
            case 4: request.ClearVersionBuild(); break;
            case 5: request.ClearPlatform(); break;
            case 6: request.ClearPluginVersion(); break;
            case 9: request.ClearDefaultChannel(); break;
            case 10: request.ClearInstallSource(); break;
            case 11: request.ClearKeyId(); break;
            case 12: request.ClearCustomId(); break;
            case 13: request.ClearVersionCode(); break;
            default: request.ClearVersionOs(); break;
        }
    }

    /// <summary>
    /// Long strings: mostly kilobytes; one in ten puts the message within 200 bytes of the edge's
    /// message limit, one in fifty past Kestrel's 1 MiB body limit (up to past 4 MiB).
    /// </summary>
    private string Huge() => _random.Next(50) switch
    {
        0 => new string('h', _random.Next(1024 * 1024, 4 * 1024 * 1024 + 64 * 1024)),
        < 6 => new string('l', MessageLimit - 200 + _random.Next(200)),
        6 => string.Concat(Enumerable.Repeat("\u00e9\ud83d\ude00", _random.Next(1000, 20_000))),
        _ => new string((char)('a' + _random.Next(26)), _random.Next(128, 64 * 1024)),
    };

    private string SemVerText() => _random.Next(10) switch
    {
        0 => $"{_random.Next(3)}.{_random.Next(10)}.{_random.Next(10)}-beta.{_random.Next(5)}",
        1 => $"{_random.Next(100_000)}.{_random.Next(100_000)}.{_random.Next(100_000)}+build.{_random.Next(100)}",
        _ => $"1.{_random.Next(8)}.{_random.Next(3)}",
    };

    private string RandomText(int length)
    {
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            var c = (char)_random.Next(0x20, 0x3000);
            sb.Append(char.IsSurrogate(c) ? 'x' : c);
        }

        return sb.ToString();
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
