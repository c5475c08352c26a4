using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SftLab.Evaluation;

/// <summary>
/// A format check by a subset of JSON Schema (draft 2020-12 semantics for the keywords it supports;
/// see <see cref="FormatCheck.JsonSchema"/>). Like the JSON-schema validators it follows, it reports
/// every violation, not just the first, each with the JSON path of the offending value.
/// </summary>
public sealed partial class JsonSchemaFormatCheck : FormatCheck
{
    private static readonly HashSet<string> Annotations = ["$schema", "$id", "title", "description", "default", "examples", "$comment"];
    private static readonly HashSet<string> TypeNames = ["string", "number", "integer", "boolean", "object", "array", "null"];
    private static readonly string[] Supported =
    [
        "type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    ];
    internal static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Node _root;

    /// <summary>The schema as given.</summary>
    public string SchemaJson { get; }

    internal JsonSchemaFormatCheck(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        SchemaJson = schemaJson;
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(schemaJson);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException($"the JSON schema is not valid JSON: {e.Message}", e);
        }
        _root = Compile(root, "$");
    }

    /// <inheritdoc/>
    public override FormatResult Check(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        JsonElement value;
        try
        {
            using var doc = JsonDocument.Parse(output.Trim());
            value = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return new FormatResult(false, [new FormatViolation("$", "json", $"the output is not valid JSON: {e.Message}")]);
        }
        var violations = new List<FormatViolation>();
        Validate(value, _root, "$", violations);
        return new FormatResult(violations.Count == 0, violations);
    }

    // ---- the compiled schema ---------------------------------------------------------------

    private sealed class Node
    {
        public bool? Constant;                 // a boolean schema: true accepts anything, false nothing
        public HashSet<string>? Types;
        public List<JsonElement>? Enum;
        public JsonElement? Const;
        public Dictionary<string, Node>? Properties;
        public List<string>? Required;
        public bool? AdditionalAllowed;
        public Node? Additional;
        public Node? Items;
        public int? MinItems, MaxItems, MinLength, MaxLength;
        public Regex? Pattern;
        public double? Minimum, Maximum, ExclusiveMinimum, ExclusiveMaximum;
    }

    private static Node Compile(JsonElement schema, string path)
    {
        if (schema.ValueKind is JsonValueKind.True or JsonValueKind.False) return new Node { Constant = schema.ValueKind == JsonValueKind.True };
        if (schema.ValueKind != JsonValueKind.Object)
            throw SchemaError(path, $"a schema must be an object or true/false, not {Kind(schema)}");
        var node = new Node();
        foreach (var kw in schema.EnumerateObject())
        {
            var at = $"{path}.{kw.Name}";
            var v = kw.Value;
            switch (kw.Name)
            {
                case "type":
                    var names = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [v];
                    node.Types = [];
                    foreach (var t in names)
                    {
                        if (t.ValueKind != JsonValueKind.String || !TypeNames.Contains(t.GetString()!))
                            throw SchemaError(at, $"'type' takes one of {string.Join(", ", TypeNames)} (or an array of them), not {Show(t)}");
                        node.Types.Add(t.GetString()!);
                    }
                    break;
                case "enum":
                    if (v.ValueKind != JsonValueKind.Array) throw SchemaError(at, $"'enum' must be an array, not {Kind(v)}");
                    node.Enum = v.EnumerateArray().ToList();
                    break;
                case "const":
                    node.Const = v;
                    break;
                case "properties":
                    if (v.ValueKind != JsonValueKind.Object) throw SchemaError(at, $"'properties' must be an object, not {Kind(v)}");
                    node.Properties = new Dictionary<string, Node>(StringComparer.Ordinal);
                    foreach (var p in v.EnumerateObject()) node.Properties[p.Name] = Compile(p.Value, $"{at}{PathPart(p.Name)}");
                    break;
                case "required":
                    if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                        throw SchemaError(at, "'required' must be an array of property names");
                    node.Required = v.EnumerateArray().Select(e => e.GetString()!).ToList();
                    break;
                case "additionalProperties":
                    if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) node.AdditionalAllowed = v.ValueKind == JsonValueKind.True;
                    else node.Additional = Compile(v, at);
                    break;
                case "items":
                    if (v.ValueKind == JsonValueKind.Array)
                        throw SchemaError(at, "'items' as an array (a tuple) is not supported; give one schema that every item must satisfy");
                    node.Items = Compile(v, at);
                    break;
                case "minItems": node.MinItems = Count(v, at); break;
                case "maxItems": node.MaxItems = Count(v, at); break;
                case "minLength": node.MinLength = Count(v, at); break;
                case "maxLength": node.MaxLength = Count(v, at); break;
                case "pattern":
                    if (v.ValueKind != JsonValueKind.String) throw SchemaError(at, $"'pattern' must be a string, not {Kind(v)}");
                    try
                    {
                        node.Pattern = new Regex(v.GetString()!, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    }
                    catch (ArgumentException e)
                    {
                        throw SchemaError(at, $"the pattern does not compile: {e.Message}");
                    }
                    break;
                case "minimum": node.Minimum = Number(v, at); break;
                case "maximum": node.Maximum = Number(v, at); break;
                case "exclusiveMinimum": node.ExclusiveMinimum = Number(v, at); break;
                case "exclusiveMaximum": node.ExclusiveMaximum = Number(v, at); break;
                default:
                    if (!Annotations.Contains(kw.Name))
                        throw SchemaError(at, $"the keyword '{kw.Name}' is not supported by this JSON-schema subset (supported: {string.Join(", ", Supported)})");
                    break;
            }
        }
        return node;
    }

    private static int Count(JsonElement v, string at) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d >= 0 && d == Math.Floor(d) && d <= int.MaxValue
            ? (int)d : throw SchemaError(at, $"must be a non-negative integer, not {Show(v)}");

    private static double Number(JsonElement v, string at) =>
        v.ValueKind == JsonValueKind.Number ? NumberValue(v) : throw SchemaError(at, $"must be a number, not {Show(v)}");

    private static FormatException SchemaError(string path, string message) => new($"JSON schema at {path}: {message}");

    // ---- validation ------------------------------------------------------------------------

    private static void Validate(JsonElement value, Node node, string path, List<FormatViolation> errors)
    {
        if (node.Constant is { } constant)
        {
            if (!constant) errors.Add(new(path, "false", "no value is allowed here (the schema is false)"));
            return;
        }
        if (node.Types is { } types && !types.Any(t => HasType(value, t)))
            errors.Add(new(path, "type", $"expected {string.Join(" or ", types)}, got {Show(value)}"));
        if (node.Enum is { } options && !options.Any(o => JsonEquals(o, value)))
            errors.Add(new(path, "enum", $"expected one of [{string.Join(", ", options.Select(Show))}], got {Show(value)}"));
        if (node.Const is { } c && !JsonEquals(c, value))
            errors.Add(new(path, "const", $"expected {Show(c)}, got {Show(value)}"));

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (node.Properties is { } props)
                    foreach (var p in value.EnumerateObject())
                        if (props.TryGetValue(p.Name, out var sub)) Validate(p.Value, sub, path + PathPart(p.Name), errors);
                if (node.Required is { } required)
                    foreach (var name in required)
                        if (!value.TryGetProperty(name, out _))
                            errors.Add(new(path, "required", $"the required property {Show(name)} is missing"));
                if (node.AdditionalAllowed == false || node.Additional is not null)
                {
                    var extras = value.EnumerateObject().Where(p => node.Properties is null || !node.Properties.ContainsKey(p.Name)).ToList();
                    if (node.AdditionalAllowed == false && extras.Count > 0)
                    {
                        var allowed = node.Properties is null ? "none" : string.Join(", ", node.Properties.Keys);
                        errors.Add(new(path, "additionalProperties", $"unexpected propert{(extras.Count == 1 ? "y" : "ies")} {string.Join(", ", extras.Select(e => Show(e.Name)))} (allowed: {allowed})"));
                    }
                    if (node.Additional is { } additional)
                        foreach (var e in extras) Validate(e.Value, additional, path + PathPart(e.Name), errors);
                }
                break;
            case JsonValueKind.Array:
                var length = value.GetArrayLength();
                if (node.Items is { } items)
                {
                    var i = 0;
                    foreach (var item in value.EnumerateArray()) Validate(item, items, $"{path}[{i++}]", errors);
                }
                if (node.MinItems is { } minItems && length < minItems)
                    errors.Add(new(path, "minItems", $"the array has {length} item(s), fewer than minItems {minItems}"));
                if (node.MaxItems is { } maxItems && length > maxItems)
                    errors.Add(new(path, "maxItems", $"the array has {length} item(s), more than maxItems {maxItems}"));
                break;
            case JsonValueKind.String:
                var s = value.GetString()!;
                // Lengths count Unicode code points (as JSON Schema and Python do), not UTF-16 units.
                var chars = s.EnumerateRunes().Count();
                if (node.MinLength is { } minLength && chars < minLength)
                    errors.Add(new(path, "minLength", $"the string has {chars} character(s), fewer than minLength {minLength}"));
                if (node.MaxLength is { } maxLength && chars > maxLength)
                    errors.Add(new(path, "maxLength", $"the string has {chars} character(s), more than maxLength {maxLength}"));
                if (node.Pattern is { } pattern)
                {
                    bool ok;
                    try { ok = pattern.IsMatch(s); }
                    catch (RegexMatchTimeoutException) { ok = false; }
                    if (!ok) errors.Add(new(path, "pattern", $"{Show(value)} does not match the pattern /{pattern}/"));
                }
                break;
            case JsonValueKind.Number:
                var d = NumberValue(value);
                if (node.Minimum is { } min && d < min) errors.Add(new(path, "minimum", $"{Show(value)} is less than the minimum {Fmt(min)}"));
                if (node.Maximum is { } max && d > max) errors.Add(new(path, "maximum", $"{Show(value)} is greater than the maximum {Fmt(max)}"));
                if (node.ExclusiveMinimum is { } emin && d <= emin) errors.Add(new(path, "exclusiveMinimum", $"{Show(value)} is not greater than {Fmt(emin)}"));
                if (node.ExclusiveMaximum is { } emax && d >= emax) errors.Add(new(path, "exclusiveMaximum", $"{Show(value)} is not less than {Fmt(emax)}"));
                break;
        }
    }

    private static bool HasType(JsonElement v, string type) => type switch
    {
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        // As in JSON Schema since draft 6: any number with no fractional part, so 1.0 counts.
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) && d == Math.Floor(d),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    // JSON equality: numbers by value (1 == 1.0), booleans never equal numbers, objects ignore key order.
    private static bool JsonEquals(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.Number: return NumberValue(a) == NumberValue(b);
            case JsonValueKind.String: return a.GetString() == b.GetString();
            case JsonValueKind.Array:
                if (a.GetArrayLength() != b.GetArrayLength()) return false;
                return a.EnumerateArray().Zip(b.EnumerateArray()).All(p => JsonEquals(p.First, p.Second));
            case JsonValueKind.Object:
                var pa = a.EnumerateObject().ToList();
                if (pa.Count != b.EnumerateObject().Count()) return false;
                return pa.All(p => b.TryGetProperty(p.Name, out var q) && JsonEquals(p.Value, q));
            default: return true; // true, false, null
        }
    }

    /// <summary>The path step for a property: <c>.name</c>, or <c>['odd name']</c> when the name is not identifier-like.</summary>
    internal static string PathPart(string name) =>
        IdentifierLike().IsMatch(name) ? "." + name : "[" + JsonSerializer.Serialize(name, Relaxed) + "]";

    // A JSON number as a double; one too large for a double (1e400) is +-infinity.
    private static double NumberValue(JsonElement v) =>
        v.TryGetDouble(out var d) ? d : v.GetRawText().StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;

    private static string Kind(JsonElement v) => v.ValueKind.ToString().ToLowerInvariant();

    private static string Show(JsonElement v)
    {
        var raw = v.GetRawText();
        if (raw.Length > 60) raw = raw[..57] + "...";
        return v.ValueKind switch
        {
            JsonValueKind.String => $"string {raw}",
            JsonValueKind.Number => $"number {raw}",
            JsonValueKind.True or JsonValueKind.False => $"boolean {raw}",
            JsonValueKind.Null => "null",
            JsonValueKind.Array => $"array {raw}",
            _ => $"object {raw}",
        };
    }

    private static string Show(string s) => JsonSerializer.Serialize(s, Relaxed);

    private static string Fmt(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierLike();
}
