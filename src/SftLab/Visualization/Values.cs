using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SftLab.Visualization;

/// <summary>
/// One data array of a trace (plotly calls it a <c>data_array</c>): the x values, the y values,
/// per-point texts or colors. It holds numbers, strings (category names) or dates.
/// </summary>
/// <remarks>
/// <para>
/// Gaps: a number that is <see cref="double.NaN"/> or infinite is written as JSON <c>null</c>,
/// which plotly draws as a gap (a line breaks there, a bar is missing, a heatmap cell is empty).
/// JSON has no NaN, and plotly would read the string "NaN" as a category, so this is the one
/// place where <c>null</c> appears in a figure's JSON.
/// </para>
/// <para>Arrays, lists and <see cref="From{T}(IEnumerable{T})"/> convert to it implicitly.</para>
/// </remarks>
[JsonConverter(typeof(ValuesJsonConverter))]
public sealed class Values : IReadOnlyList<object?>
{
    private readonly double[]? numbers;
    private readonly string?[]? strings;

    private Values(double[]? numbers, string?[]? strings)
    {
        this.numbers = numbers;
        this.strings = strings;
    }

    /// <summary>True when every value is a number (NaN and infinities included).</summary>
    public bool IsNumeric => numbers is not null;

    /// <summary>The number of values.</summary>
    public int Count => numbers?.Length ?? strings!.Length;

    /// <summary>The value at <paramref name="index"/>: a <see cref="double"/> or a <see cref="string"/> (null for a missing string).</summary>
    public object? this[int index] => numbers is not null ? numbers[index] : strings![index];

    /// <summary>The values as numbers; throws when they are strings.</summary>
    public ReadOnlySpan<double> Numbers => numbers ?? throw new InvalidOperationException("these values are strings, not numbers");

    /// <summary>Numbers (NaN or an infinity becomes a gap).</summary>
    public static Values Of(IEnumerable<double> values) => new(values.ToArray(), null);

    /// <summary>Strings: category names, texts or colors (a null becomes a gap).</summary>
    public static Values Of(IEnumerable<string?> values) => new(null, values.ToArray());

    /// <summary>
    /// Converts any sequence: numeric types (int, long, float, decimal, …) become numbers,
    /// <see cref="DateTime"/>/<see cref="DateTimeOffset"/>/<see cref="DateOnly"/> become plotly
    /// date strings (<c>yyyy-MM-dd HH:mm:ss.ffffff</c>), anything else its invariant string.
    /// </summary>
    public static Values From<T>(IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        switch (values)
        {
            case Values v: return v;
            case IEnumerable<double> d: return Of(d);
            case IEnumerable<string?> s: return Of(s);
        }
        var list = values as IReadOnlyCollection<T> ?? values.ToList();
        if (typeof(T) == typeof(float) || typeof(T) == typeof(int) || typeof(T) == typeof(long) ||
            typeof(T) == typeof(short) || typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte) ||
            typeof(T) == typeof(ushort) || typeof(T) == typeof(uint) || typeof(T) == typeof(ulong) ||
            typeof(T) == typeof(decimal) || typeof(T) == typeof(Half))
        {
            var result = new double[list.Count];
            var i = 0;
            foreach (var item in list) result[i++] = Convert.ToDouble(item, CultureInfo.InvariantCulture);
            return new Values(result, null);
        }
        var texts = new string?[list.Count];
        var j = 0;
        foreach (var item in list) texts[j++] = FormatScalar(item);
        return new Values(null, texts);
    }

    /// <summary>The integers 0, 1, …, <paramref name="count"/> − 1 (a default x axis).</summary>
    public static Values Range(int count) => new(Enumerable.Range(0, count).Select(i => (double)i).ToArray(), null);

    internal static string? FormatScalar(object? item) => item switch
    {
        null => null,
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => item.ToString(),
    };

    /// <summary>Numbers.</summary>
    public static implicit operator Values(double[] values) => Of(values);
    /// <summary>Numbers.</summary>
    public static implicit operator Values(float[] values) => From(values);
    /// <summary>Numbers.</summary>
    public static implicit operator Values(int[] values) => From(values);
    /// <summary>Numbers.</summary>
    public static implicit operator Values(long[] values) => From(values);
    /// <summary>Strings (categories, texts, colors).</summary>
    public static implicit operator Values(string[] values) => Of(values);
    /// <summary>Dates.</summary>
    public static implicit operator Values(DateTime[] values) => From(values);
    /// <summary>Numbers.</summary>
    public static implicit operator Values(List<double> values) => Of(values);
    /// <summary>Numbers.</summary>
    public static implicit operator Values(List<float> values) => From(values);
    /// <summary>Numbers.</summary>
    public static implicit operator Values(List<int> values) => From(values);
    /// <summary>Numbers.</summary>
    public static implicit operator Values(List<long> values) => From(values);
    /// <summary>Strings (categories, texts, colors).</summary>
    public static implicit operator Values(List<string> values) => Of(values);

    /// <inheritdoc/>
    public IEnumerator<object?> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        if (numbers is not null)
        {
            foreach (var v in numbers)
            {
                if (double.IsFinite(v)) writer.WriteNumberValue(v);
                else writer.WriteNullValue();
            }
        }
        else
        {
            foreach (var s in strings!)
            {
                if (s is null) writer.WriteNullValue();
                else writer.WriteStringValue(s);
            }
        }
        writer.WriteEndArray();
    }
}

internal sealed class ValuesJsonConverter : JsonConverter<Values>
{
    public override Values Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("SftLab figures are written to JSON, not read from it.");

    public override void Write(Utf8JsonWriter writer, Values value, JsonSerializerOptions options) => value.Write(writer);
}
