using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace SftLab.Visualization;

/// <summary>
/// Writes figures as the JSON plotly.js expects: attribute names in lower case, unset fields
/// omitted (never <c>null</c>), NaN/infinity in data arrays as <c>null</c> (a gap), and a
/// non-finite number anywhere else rejected with the JSON path of the field.
/// </summary>
internal static class FigureJson
{
    private const string NonFiniteMarker = "\u0001sftlab-non-finite:";

    internal static readonly JsonSerializerOptions Options = CreateOptions(indented: false);
    internal static readonly JsonSerializerOptions IndentedOptions = CreateOptions(indented: true);

    private static JsonSerializerOptions CreateOptions(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = new LowerCaseNamingPolicy(),
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            // Escapes <, >, &, quotes: the JSON can sit inside a <script> element as-is.
            Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
            WriteIndented = indented,
        };
        options.Converters.Add(new MarkedDoubleConverter());
        options.Converters.Add(new MarkedSingleConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Serializes <paramref name="value"/>; throws <see cref="FigureException"/> on a non-finite scalar.</summary>
    internal static string Serialize<T>(T value, bool indented, string root)
    {
        string json;
        try
        {
            json = JsonSerializer.Serialize(value, indented ? IndentedOptions : Options);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException)
        {
            throw new FigureException($"{root}: cannot be written as plotly JSON: {e.Message}", e);
        }
        if (json.Contains("\\u0001sftlab-non-finite:", StringComparison.Ordinal))
        {
            using var doc = JsonDocument.Parse(json);
            var path = FindMarker(doc.RootElement, root);
            throw new FigureException(
                $"{path.Path} is {path.Value}: plotly needs a finite number there. NaN and infinity are accepted only " +
                "inside data arrays (x, y, z…), where they become gaps.");
        }
        return json;
    }

    private static (string Path, string Value) FindMarker(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                var s = element.GetString()!;
                return s.StartsWith(NonFiniteMarker, StringComparison.Ordinal) ? (path, s[NonFiniteMarker.Length..]) : default;
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject())
                {
                    var found = FindMarker(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name);
                    if (found.Path is not null) return found;
                }
                return default;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    var found = FindMarker(item, $"{path}[{i++}]");
                    if (found.Path is not null) return found;
                }
                return default;
            default:
                return default;
        }
    }

    private sealed class LowerCaseNamingPolicy : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name.ToLowerInvariant();
    }

    private sealed class MarkedDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteStringValue(NonFiniteMarker + value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private sealed class MarkedSingleConverter : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteStringValue(NonFiniteMarker + value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Escapes a JavaScript source so it can sit inside an HTML &lt;script&gt; element.</summary>
    internal static string EscapeScript(string source)
    {
        // "</script" would end the element and "<!--" can switch the HTML parser's script state;
        // "\x3C" is "<" inside JS strings, template literals and regular expressions alike.
        var sb = new StringBuilder(source);
        sb.Replace("</script", "\\x3C/script").Replace("</SCRIPT", "\\x3C/SCRIPT").Replace("<!--", "\\x3C!--");
        return sb.ToString();
    }
}
