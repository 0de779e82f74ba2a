using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// A seeded mutator over the plugin's real bodies: structural mutations on the parsed JSON (type swaps,
/// random values, removed, unknown and duplicated keys, huge strings, arrays instead of objects, deep
/// nesting) and byte-level ones (flips, truncation, random insertions, invalid UTF-8). One instance per
/// worker; the same seed gives the same bodies.
/// </summary>
internal sealed class BodyMutator(int seed, IReadOnlyList<string> fields)
{
    private static readonly string[] Weird =
    [
        "", " ", "\u0000", "\ud800", "\udfff", "\u202e", "null", "true", "0", "-1", "1e400", "NaN", "1.2.3.4.5",
        "9999999999999999999999.0.0", "v1.2.3", "1.2.3-", "1.2.3+", "builtin", "../../etc/passwd", "%00", "<script>",
        "' OR 1=1 --", "{\"a\":1}", "[]", "com.demo.app", "COM.DEMO.APP", "com.demo.app\u0000", "production", "beta",
        "00009a6b-eefe-490a-9c60-8e965132ae51", "00009A6B-EEFE-490A-9C60-8E965132AE51", "ios", "android", "electron", "web",
        "set", "download_50", "ping", "app_crash", "0.0.0", "1.0.0", "999.999.999", "5.2.1", "8.51.23", "7.33.99",
        "\ud83d\ude00", "é", "ä½ å¥½",
    ];

    /// <summary>
    /// Bodies stay under about 2 MiB: twice Kestrel's limit is hostile enough, and bigger ones only fill
    /// the shared array pool of the test process with buffers of hundreds of MiB.
    /// </summary>
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    private readonly Random _random = new(seed);
    private readonly IReadOnlyList<string> _fields = fields;

    public Random Random => _random;

    /// <summary>A mutated copy of <paramref name="body"/>: one to three stacked mutations.</summary>
    public byte[] Mutate(byte[] body)
    {
        var current = body;
        var rounds = 1 + _random.Next(3);
        for (var i = 0; i < rounds; i++)
        {
            current = _random.Next(100) switch
            {
                < 45 => Structural(current),
                < 75 => Bytes(current),
                < 90 => Textual(current),
                _ => Whole(),
            };
        }

        return current.Length <= MaxBodyBytes ? current : current[..MaxBodyBytes];
    }

    private byte[] Structural(byte[] body)
    {
        try
        {
            return StructuralCore(body);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON (or JSON System.Text.Json will not materialise lazily): mutate the bytes instead.
            return Bytes(body);
        }
    }

    private byte[] StructuralCore(byte[] body)
    {
        var root = JsonNode.Parse(body);

        var target = root switch
        {
            JsonObject o => o,
            JsonArray { Count: > 0 } a when a[_random.Next(a.Count)] is JsonObject inner => inner,
            _ => null,
        };
        if (target is null)
        {
            return Encoding.UTF8.GetBytes(RandomValue(2)?.ToJsonString() ?? "null");
        }

        var field = PickField(target);
        switch (_random.Next(10))
        {
            case 0:
                target.Remove(field);
                break;
            case 1:
                target[field] = SwapType(target[field]);
                break;
            case 2:
                target[field] = RandomValue(3);
                break;
            case 3:
                target[field] = HugeString();
                break;
            case 4:
                target[Pick(Weird) is { Length: > 0 } name ? name : "x"] = RandomValue(2);
                break;
            case 5:
                target[field] = Pick(Weird);
                break;
            case 6:
                // An array instead of the object, or of objects.
                root = _random.Next(3) switch
                {
                    0 => new JsonArray(root!.DeepClone()),
                    1 => new JsonArray(Enumerable.Range(0, Copies(target)).Select(_ => (JsonNode?)target.DeepClone()).ToArray()),
                    _ => new JsonArray(root!.DeepClone(), RandomValue(2), target.DeepClone()),
                };
                break;
            case 7:
                target[field] = new JsonArray(RandomValue(1), RandomValue(1));
                break;
            case 8:
                target["metadata"] = Metadata();
                break;
            default:
                target[field] = Number();
                break;
        }

        return Encoding.UTF8.GetBytes(root!.ToJsonString());
    }

    /// <summary>Up to 300 copies, but at most about <see cref="MaxBodyBytes"/> of them in all.</summary>
    private int Copies(JsonObject target) =>
        Math.Min(_random.Next(0, 300), Math.Max(1, MaxBodyBytes / Math.Max(1, Encoding.UTF8.GetByteCount(target.ToJsonString()))));

    private byte[] Bytes(byte[] body)
    {
        var list = new List<byte>(body);
        switch (_random.Next(8))
        {
            case 0:
                for (var i = 0; i < 1 + _random.Next(8) && list.Count > 0; i++)
                {
                    list[_random.Next(list.Count)] ^= (byte)(1 << _random.Next(8));
                }

                break;
            case 1:
                return body[..(body.Length == 0 ? 0 : _random.Next(body.Length))];
            case 2:
                list.InsertRange(_random.Next(list.Count + 1), RandomBytes(1 + _random.Next(32)));
                break;
            case 3:
                // Invalid UTF-8: lone continuation, overlong, surrogate halves, 0xFF, truncated sequence.
                byte[][] bad = [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xC3, 0x28]];
                list.InsertRange(_random.Next(list.Count + 1), Pick(bad));
                break;
            case 4:
                if (list.Count > 2)
                {
                    var start = _random.Next(list.Count);
                    list.RemoveRange(start, _random.Next(list.Count - start));
                }

                break;
            case 5:
                if (list.Count > 2)
                {
                    var start = _random.Next(list.Count);
                    var length = _random.Next(list.Count - start);
                    list.InsertRange(_random.Next(list.Count), list.GetRange(start, length));
                }

                break;
            case 6:
                if (list.Count > 0)
                {
                    list[_random.Next(list.Count)] = Pick("{}[]\",:\\\0"u8.ToArray());
                }

                break;
            default:
                list.InsertRange(0, new byte[] { 0xEF, 0xBB, 0xBF });
                break;
        }

        return [.. list];
    }

    /// <summary>Mutations easier on the text: duplicated keys, deep nesting, escapes.</summary>
    private byte[] Textual(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        var brace = text.IndexOf('{', StringComparison.Ordinal);
        var field = Pick(_fields);
        switch (_random.Next(5))
        {
            case 0 when brace >= 0:
                // Duplicated key, first or last occurrence wins depending on the parser.
                var value = RandomValue(1)?.ToJsonString() ?? "null";
                return Encoding.UTF8.GetBytes(text.Insert(brace + 1, $"\"{field}\":{value},"));
            case 1 when brace >= 0:
                return Encoding.UTF8.GetBytes(text.Insert(brace + 1, $"\"{field}\":{Nesting(1 + _random.Next(5000))},"));
            case 2:
                return Encoding.UTF8.GetBytes(Nesting(1 + _random.Next(20000)));
            case 3 when brace >= 0:
                string[] escapes = ["\\u0000", "\\ud800", "\\udc00\\ud800", "\\uZZZZ", "\\x41", "\\", "\\u00e9"];
                return Encoding.UTF8.GetBytes(text.Insert(brace + 1, $"\"{field}\":\"a{Pick(escapes)}b\","));
            default:
                // Comments and trailing commas (not JSON).
                return Encoding.UTF8.GetBytes(_random.Next(2) == 0 ? "/* c */" + text : text.Replace("}", ",}", StringComparison.Ordinal));
        }
    }

    /// <summary>A body that is not the plugin's at all.</summary>
    private byte[] Whole() => _random.Next(6) switch
    {
        0 => [],
        1 => RandomBytes(_random.Next(256)),
        2 => Encoding.UTF8.GetBytes(RandomValue(4)?.ToJsonString() ?? "null"),
        3 => Encoding.UTF8.GetBytes("  \r\n\t "),
        4 => Encoding.UTF8.GetBytes("{\"" + new string('k', _random.Next(1, 100_000)) + "\":1}"),
        _ => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":1},", _random.Next(1, 5000))).TrimEnd(',')),
    };

    private string Nesting(int depth)
    {
        var open = _random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var sb = new StringBuilder(depth * 6);
        for (var i = 0; i < depth; i++)
        {
            sb.Append(open);
        }

        sb.Append('1');
        // Sometimes unbalanced.
        var closes = _random.Next(4) == 0 ? _random.Next(depth + 1) : depth;
        for (var i = 0; i < closes; i++)
        {
            sb.Append(close);
        }

        return sb.ToString();
    }

    private JsonNode? SwapType(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => _random.Next(3) switch
        {
            0 => JsonValue.Create(s.Length),
            1 => JsonValue.Create(true),
            _ => new JsonArray(JsonValue.Create(s)),
        },
        JsonValue v when v.TryGetValue<bool>(out var b) => _random.Next(3) switch
        {
            0 => JsonValue.Create(b ? "true" : "false"),
            1 => JsonValue.Create(b ? 1 : 0),
            _ => null,
        },
        null => new JsonObject(),
        _ => JsonValue.Create(value.ToJsonString()),
    };

    private JsonNode? RandomValue(int depth)
    {
        switch (_random.Next(depth <= 0 ? 5 : 7))
        {
            case 0: return null;
            case 1: return JsonValue.Create(_random.Next(2) == 0);
            case 2: return Number();
            case 3: return JsonValue.Create(Pick(Weird));
            case 4: return JsonValue.Create(RandomString(_random.Next(64)));
            case 5:
                var array = new JsonArray();
                for (var i = 0; i < _random.Next(5); i++)
                {
                    array.Add(RandomValue(depth - 1));
                }

                return array;
            default:
                var obj = new JsonObject();
                for (var i = 0; i < _random.Next(5); i++)
                {
                    obj[Pick(_fields) + (i == 0 ? "" : i.ToString(CultureInfo.InvariantCulture))] = RandomValue(depth - 1);
                }

                return obj;
        }
    }

    private JsonValue Number() => _random.Next(6) switch
    {
        0 => JsonValue.Create(_random.Next(int.MinValue, int.MaxValue)),
        1 => JsonValue.Create(long.MaxValue),
        2 => JsonValue.Create(decimal.MaxValue),
        3 => JsonValue.Create(double.Epsilon),
        4 => JsonValue.Create(-0.0),
        _ => JsonValue.Create(_random.NextDouble() * 1e300),
    };

    private JsonObject Metadata()
    {
        var metadata = new JsonObject();
        var count = _random.Next(4) == 0 ? _random.Next(31, 200) : _random.Next(0, 31);
        for (var i = 0; i < count; i++)
        {
            var key = i.ToString(CultureInfo.InvariantCulture) + new string('m', _random.Next(4) == 0 ? _random.Next(60, 100) : 3);
            metadata[key] = _random.Next(10) == 0 ? RandomValue(1) : new string('v', _random.Next(4) == 0 ? _random.Next(2000, 2100) : 5);
        }

        return metadata;
    }

    /// <summary>Long strings: just under and over the field limits, and a few over the body limit.</summary>
    private string HugeString() => _random.Next(10) switch
    {
        0 => new string('x', _random.Next(64 * 1024, 1200 * 1024)),
        1 => string.Concat(Enumerable.Repeat("\u00e9\ud83d\ude00", _random.Next(1000, 20_000))),
        _ => new string((char)('a' + _random.Next(26)), _random.Next(20, 5000)),
    };

    private string RandomString(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)_random.Next(0, 0x3000);
        }

        return new string(chars);
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private string PickField(JsonObject target) =>
        target.Count > 0 && _random.Next(4) != 0 ? target.ElementAt(_random.Next(target.Count)).Key : Pick(_fields);

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
