using System.Text;

namespace Capgo.Edge.Core;

/// <summary>
/// The channel names an app's overrides point at, each stored once and referred to by a 16-bit
/// index: an app has a handful of channels and may pin millions of devices. Names are only ever
/// added, so an index once handed out names the same channel for the table's life. One writer at a
/// time adds; readers never lock: every addition publishes a new array, so a reader that found an
/// index reads an array that holds it.
/// </summary>
internal sealed class ChannelNames
{
    /// <summary>The index that marks a removed device in a delta; never a name's.</summary>
    public const ushort Removed = ushort.MaxValue;

    private readonly Dictionary<string, ushort> _indexes = new(StringComparer.Ordinal);
    private string[] _names = [];

    public int Count => _indexes.Count;

    public string this[ushort index] => Volatile.Read(ref _names)[index];

    /// <summary>The name's index, added when new. For the one writer.</summary>
    public ushort IndexOf(string name)
    {
        if (_indexes.TryGetValue(name, out var index))
        {
            return index;
        }

        return Add(name);
    }

    /// <summary>The index of a UTF-8 name; decodes without allocating unless the name is new.</summary>
    public ushort IndexOf(ReadOnlySpan<byte> utf8)
    {
        var length = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        var chars = length <= 256 ? stackalloc char[length] : new char[length];
        var name = chars[..Encoding.UTF8.GetChars(utf8, chars)];
        if (_indexes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var index))
        {
            return index;
        }

        return Add(name.ToString());
    }

    private ushort Add(string name)
    {
        if (_indexes.Count == Removed)
        {
            throw new InvalidOperationException($"An app's overrides name at most {Removed} channels");
        }

        var index = (ushort)_indexes.Count;
        var names = new string[index + 1];
        _names.CopyTo(names, 0);
        names[index] = string.Intern(name);
        Volatile.Write(ref _names, names);
        _indexes.Add(names[index], index);
        return index;
    }
}
