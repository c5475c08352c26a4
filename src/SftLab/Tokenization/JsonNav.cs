using System.Text.Json;

namespace SftLab.Tokenization;

/// <summary>A JSON element with its path, so every error names where it is.</summary>
internal readonly struct JsonNav
{
    public readonly JsonElement Element;
    public readonly string Path;
    public readonly string? File;

    public JsonNav(JsonElement element, string path, string? file)
    {
        Element = element;
        Path = path;
        File = file;
    }

    public JsonValueKind Kind => Element.ValueKind;
    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public TokenizerFormatException Error(string message, Exception? inner = null) => new(File, Path, message, inner);

    public JsonNav Required(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"expected an object with a \"{name}\" field, found {Element.ValueKind}");
        if (!Element.TryGetProperty(name, out var v)) throw new TokenizerFormatException(File, Path, $"missing required field \"{name}\"");
        return new JsonNav(v, Path + "." + name, File);
    }

    /// <summary>The field, or null when it is absent or JSON null.</summary>
    public JsonNav? Optional(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"expected an object, found {Element.ValueKind}");
        if (!Element.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return new JsonNav(v, Path + "." + name, File);
    }

    public bool Has(string name) => Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out _);

    public string String()
    {
        if (Element.ValueKind != JsonValueKind.String) throw Error($"expected a string, found {Element.ValueKind}");
        return Element.GetString()!;
    }

    public int Int()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out var v)) throw Error($"expected a 32-bit integer, found {Element.ValueKind} {Raw()}");
        return v;
    }

    public double Double()
    {
        if (Element.ValueKind != JsonValueKind.Number) throw Error($"expected a number, found {Element.ValueKind}");
        return Element.GetDouble();
    }

    public bool Bool()
    {
        if (Element.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Error($"expected true or false, found {Element.ValueKind}");
        return Element.GetBoolean();
    }

    public string Raw()
    {
        var s = Element.GetRawText();
        return s.Length > 60 ? s[..60] + "…" : s;
    }

    public string OptString(string name, string fallback) => Optional(name)?.String() ?? fallback;
    public string? OptString(string name) => Optional(name)?.String();
    public bool OptBool(string name, bool fallback) => Optional(name)?.Bool() ?? fallback;
    public int OptInt(string name, int fallback) => Optional(name)?.Int() ?? fallback;

    public int Length
    {
        get
        {
            if (Element.ValueKind != JsonValueKind.Array) throw Error($"expected an array, found {Element.ValueKind}");
            return Element.GetArrayLength();
        }
    }

    public IEnumerable<JsonNav> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error($"expected an array, found {Element.ValueKind}");
        var i = 0;
        foreach (var e in Element.EnumerateArray()) yield return new JsonNav(e, $"{Path}[{i++}]", File);
    }

    public IEnumerable<(string Name, JsonNav Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"expected an object, found {Element.ValueKind}");
        foreach (var p in Element.EnumerateObject())
            yield return (p.Name, new JsonNav(p.Value, Path + "." + (IsIdentifier(p.Name) ? p.Name : "[" + JsonSerializer.Serialize(p.Name) + "]"), File));
    }

    private static bool IsIdentifier(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>The "type" field of a component, for dispatch.</summary>
    public string Type() => Required("type").String();
}
