#:property PublishAot=false
// SftLab dataset generator: writes every dataset under datasets/ from one seed.
//
//   dotnet run datasets/generate.cs -- --seed 1234 --out datasets
//
// Everything here is invented: a fictional company ("Fernhollow") with products, stores,
// people and policies (the knowledge base, the SFT conversations and their test set), a set of
// everyday chats, and a plain-text corpus about a *different* invented world for pretraining
// the kit's small base model. The output is byte-identical on every machine for a given seed:
// the random numbers come from our own SplitMix64 (not System.Random), every number is
// formatted with the invariant culture, files are UTF-8 (in fact pure ASCII) with "\n" line
// ends, JSON is written by hand with fixed key order, and no hash-ordered collection is ever
// enumerated. Each dataset draws from its own random stream (seed + stream name), so changing
// one dataset's size leaves the others untouched. See datasets/README.md.
// (PublishAot=false above: file-based apps default to native AOT, whose compiler package the
// project's NuGet feed does not serve; this tool needs no AOT.)
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;

ulong seed = 1234;
string? outDir = null;
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--seed":
            var s = Value();
            if (!ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            {
                Console.Error.WriteLine($"--seed must be a non-negative integer, got '{s}'");
                return 2;
            }
            break;
        case "--out":
            outDir = Value();
            break;
        case "-h":
        case "--help":
            Console.WriteLine("usage: dotnet run datasets/generate.cs -- [--seed 1234] --out <folder>");
            return 0;
        default:
            Console.Error.WriteLine($"unknown option '{args[i]}' (usage: --seed N --out FOLDER)");
            return 2;
    }
}
if (outDir is null)
{
    Console.Error.WriteLine("--out FOLDER is required (the repo's copy lives in datasets/)");
    return 2;
}

var output = new Output(outDir, seed);
var world = World.Build(seed);
KnowledgeBase.Write(world, output);
Sft.Write(world, seed, output);
Formats.Write(world, seed, output);
General.Write(seed, output);
Pretraining.Write(world, seed, output);
output.WriteManifest();
Console.WriteLine($"seed {seed}: wrote {output.Count} files to {Path.GetFullPath(outDir)}");
return 0;

/// <summary>SplitMix64: tiny, fast, and the same on every machine and runtime version.</summary>
sealed class Rng
{
    ulong _state;

    public Rng(ulong seed, string stream)
    {
        ulong h = 14695981039346656037UL; // FNV-1a of the stream name
        foreach (var c in stream) { h ^= c; h *= 1099511628211UL; }
        _state = seed ^ h;
        Next();
    }

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n).</summary>
    public int Int(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)(Next() % (ulong)n);

    /// <summary>Uniform in [lo, hi], both ends included.</summary>
    public int Range(int lo, int hi) => lo + Int(hi - lo + 1);

    public bool Chance(double p) => (Next() >> 11) * (1.0 / 9007199254740992.0) < p;

    public T Pick<T>(IReadOnlyList<T> xs) => xs[Int(xs.Count)];

    public void Shuffle<T>(IList<T> xs)
    {
        for (var i = xs.Count - 1; i > 0; i--)
        {
            var j = Int(i + 1);
            (xs[i], xs[j]) = (xs[j], xs[i]);
        }
    }

    /// <summary>k distinct items, in random order.</summary>
    public List<T> Sample<T>(IReadOnlyList<T> xs, int k)
    {
        var copy = xs.ToList();
        Shuffle(copy);
        return copy.Take(k).ToList();
    }

    /// <summary>Index drawn with the given (integer) weights.</summary>
    public int Weighted(IReadOnlyList<int> weights)
    {
        var r = Int(weights.Sum());
        for (var i = 0; i < weights.Count; i++)
        {
            if (r < weights[i]) return i;
            r -= weights[i];
        }
        return weights.Count - 1;
    }
}

/// <summary>Hand-written JSON (fixed key order, ASCII output with \u escapes).</summary>
static class Json
{
    public static string Str(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    public static string Bool(bool b) => b ? "true" : "false";

    public static string Int(long n) => n.ToString(CultureInfo.InvariantCulture);

    public static string Arr(IEnumerable<string> rawItems) => "[" + string.Join(", ", rawItems) + "]";

    public static string Obj(params (string Key, string Raw)[] fields) =>
        "{" + string.Join(", ", fields.Select(f => Str(f.Key) + ": " + f.Raw)) + "}";

    public static string Messages(IEnumerable<(string Role, string Content)> messages) =>
        Arr(messages.Select(m => Obj(("role", Str(m.Role)), ("content", Str(m.Content)))));
}

/// <summary>Collects the files, checks they are clean ASCII text, writes them atomically, and
/// records their sizes and SHA-256 in manifest.json.</summary>
sealed class Output(string root, ulong seed)
{
    readonly List<(string Path, int Records, long Bytes, string Sha256)> _files = [];

    public int Count => _files.Count + 1;

    public void Write(string relativePath, string content, int records)
    {
        for (var i = 0; i < content.Length; i++)
        {
            var c = content[i];
            if (c != '\n' && (c < 0x20 || c > 0x7e))
                throw new InvalidOperationException($"{relativePath}: character U+{(int)c:X4} at offset {i} is not printable ASCII");
        }
        var bytes = Encoding.ASCII.GetBytes(content);
        var full = Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, full, overwrite: true);
        _files.Add((relativePath, records, bytes.LongLength, Convert.ToHexStringLower(SHA256.HashData(bytes))));
    }

    public void WriteJsonl(string relativePath, IReadOnlyList<string> lines) =>
        Write(relativePath, string.Concat(lines.Select(l => l + "\n")), lines.Count);

    public void WriteManifest()
    {
        var sb = new StringBuilder();
        sb.Append("{\n  \"generator\": \"datasets/generate.cs\",\n");
        sb.Append("  \"command\": ").Append(Json.Str($"dotnet run datasets/generate.cs -- --seed {seed} --out datasets")).Append(",\n");
        sb.Append("  \"seed\": ").Append(Json.Int((long)seed)).Append(",\n");
        sb.Append("  \"files\": [\n");
        var sorted = _files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var f = sorted[i];
            sb.Append("    ").Append(Json.Obj(("path", Json.Str(f.Path)), ("records", Json.Int(f.Records)),
                ("bytes", Json.Int(f.Bytes)), ("sha256", Json.Str(f.Sha256))));
            sb.Append(i + 1 < sorted.Count ? ",\n" : "\n");
        }
        sb.Append("  ]\n}\n");
        var text = sb.ToString();
        var full = Path.Combine(root, "manifest.json");
        File.WriteAllText(full + ".tmp", text, new UTF8Encoding(false));
        File.Move(full + ".tmp", full, overwrite: true);
    }
}

static class Text
{
    /// <summary>"a lamp" / "an owl".</summary>
    public static string A(string phrase) =>
        ("aeiouAEIOU".Contains(phrase[0]) ? "an " : "a ") + phrase;

    public static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    public static string Plural(int n, string one, string many) => n == 1 ? $"1 {one}" : $"{n} {many}";

    public static string Slug(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        return sb.ToString().Trim('-');
    }

    /// <summary>"a", "a and b", "a, b and c".</summary>
    public static string List(IReadOnlyList<string> xs) =>
        xs.Count == 1 ? xs[0] : string.Join(", ", xs.Take(xs.Count - 1)) + " and " + xs[^1];

    public static string[] Words(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string[] Lines(string s) => s.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static readonly string[] Months = Words("January February March April May June July August September October November December");
    public static readonly string[] Days = Words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday");
}

// ---------------------------------------------------------------------------------------------
// The Fernhollow world: entities, their facts, and the knowledge-base document of each entity.
// ---------------------------------------------------------------------------------------------

/// <summary>The house style every SFT answer follows (datasets/house-style.json has the same).</summary>
static class HouseStyle
{
    public const string Marker = "[FH]";
    public const string SignOff = "-- Fernhollow Support";
    public const string Regex = @"^\[FH\] Answer: ([^\n]+)\n([^\n]+[.!?])\n-- Fernhollow Support$";
    public const string SystemPrompt = "You are the Fernhollow support assistant.";
    public const string Instruction =
        "Reply in exactly three lines: first \"[FH] Answer: \" followed by the short answer, then one sentence that states the fact, then \"-- Fernhollow Support\".";

    public static string Answer(string answer, string sentence) => $"{Marker} Answer: {answer}\n{sentence}\n{SignOff}";

    /// <summary>One knowledge-base document as it appears in a retrieval prompt.</summary>
    public static string Document(KbDoc d) => $"[{d.Id}] {d.Title}: {d.Text}";

    /// <summary>The user turn of a retrieval-augmented prompt (the same layout the corpus teaches).</summary>
    public static string RagUser(IEnumerable<KbDoc> docs, string question) =>
        "Documents:\n" + string.Join("\n", docs.Select(Document)) + "\nQuestion: " + question;
}

sealed record KbDoc(string Id, string Kind, string Entity, string Title, string Text);

/// <summary>One attribute of one entity, with the ways to ask about it and the house-style sentence.</summary>
sealed class Fact
{
    public required Entity Entity { get; init; }
    public required string Attribute { get; init; }
    public required string Value { get; init; }
    public required string Sentence { get; init; }
    public required string[] Questions { get; init; }
    public required string[] TestQuestions { get; init; }
    public required string[] FollowUps { get; init; }
    public List<string> GoldDocIds { get; } = [];

    public string Answer => HouseStyle.Answer(Value, Sentence);
}

sealed class Entity
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public required string DocId { get; init; }
    public bool Held { get; set; }
    public List<Fact> Facts { get; } = [];
    public KbDoc Doc { get; set; } = null!;
}

/// <summary>How to ask about one attribute: question templates ({e} = entity, {v} = value).</summary>
sealed record Ask(string Attribute, string Train, string Test, string Follow, string Sentence)
{
    public Fact Make(Entity e, string value, string? sentence = null)
    {
        string Fill(string t) => t.Replace("{e}", e.Name).Replace("{v}", value);
        var f = new Fact
        {
            Entity = e, Attribute = Attribute, Value = value,
            Sentence = Fill(sentence ?? Sentence),
            Questions = Text.Lines(Train).Select(Fill).ToArray(),
            TestQuestions = Text.Lines(Test).Select(Fill).ToArray(),
            FollowUps = Text.Lines(Follow).Select(Fill).ToArray(),
        };
        f.GoldDocIds.Add(e.DocId);
        e.Facts.Add(f);
        return f;
    }
}

sealed record Category(string Noun, string Use, string SpecialAttribute, Func<Rng, string> SpecialValue,
    int PriceLo, int PriceHi, Func<Rng, string> Weight);

sealed class World
{
    public const string Company = "Fernhollow";
    public List<Entity> Entities { get; } = [];
    public List<Fact> Facts => Entities.SelectMany(e => e.Facts).ToList();
    public List<KbDoc> Docs => Entities.Select(e => e.Doc).ToList();
    /// <summary>Product names that do not exist (for "unknown" answers).</summary>
    public List<string> Phantoms { get; } = [];
    /// <summary>Names that must never appear in the pretraining corpus.</summary>
    public List<string> Reserved { get; } = [];

    static readonly string[] ModelNames = Text.Words(
        "Aldra Brenvik Caldrin Dunmere Eskeln Faldor Gethin Halvie Istrel Jorvald Kelsing Lomar Mervane Nyssa Orvelle " +
        "Pellow Quenby Rissa Solvar Tamber Ulvik Vantry Wyndle Yarlo Zephel Ambrel Corvel Drossel Emberly Fennick " +
        "Gorvan Hesketh Ilvane Jessamy Kelvar Lirrow Merrion Nessick Oralde Pimbly Quillon Rhosyn Selvane Thistlemere " +
        "Umbrin Velling Wendrel Avlen Bryndel Cobbett Dravik Elspen Farrel Glimra Hollin");
    static readonly string[] PhantomNames = Text.Words("Zorvik Quandril Belsamo Tirrowen Mabbery Cressel Ondrake Vimmery Skellan Porrith Yallow Grimsett");
    static readonly string[] FirstNames = Text.Words(
        "Ilse Tomas Maren Oskar Wren Priya Jonah Sabine Idris Leona Mateo Hana Cormac Elif Rafael Nadia Soren Amara " +
        "Felix Yara Bastian Ines Kofi Greta Lucian Mira Dario Astrid Emeka Liesel Tobias Anouk Henrik Zara Milo " +
        "Ottilie Ravi Signe Caspian Noor Bruno Selma Ansel Imke");
    static readonly string[] Surnames = Text.Words(
        "Varga Brennick Castell Dunmore Ferreira Galloway Halvorsen Ishikawa Jansen Kowal Lindqvist Moreau Novak " +
        "Okafor Pellegrini Quist Rasmussen Satori Ulrich Vance Whitlock Yilmaz Zeller Abara Bexley Corrigan Delacroix " +
        "Ekdahl Fontaine Grieve Hollister Iversen Kestner Larkin Okoro Penhale Rooke Strand Thorne Vesely Wexford Amadi Brightwater Cardew");
    static readonly string[] Towns = Text.Words(
        "Ostwick Bramholt Caddonmere Eskerby Fallowmere Glenhallow Harrowby Keldmoor Lantry Mossbridge Northcombe " +
        "Pellingham Quarrydale Redwick Saltercombe Tollbury Wenlow Ambleth");
    static readonly string[] Streets = Text.Words(
        "Larch Quarry Mill Heron Copper Willow Ferry Chapel Orchard Beacon Tanner Linden Harbour Kiln Salt Weaver Juniper Rook Barley Cinder");
    static readonly string[] StreetKinds = Text.Words("Street Road Lane Square Row");
    static readonly string[] Colours = Text.Lines(
        "moss green|slate grey|burnt orange|sky blue|charcoal black|sand beige|forest green|rust red|ocean blue|mustard yellow|stone white|plum purple");

    static string Litres(int tenths) => tenths % 10 == 0 ? $"{tenths / 10} litres" : $"{tenths / 10}.{tenths % 10} litres";
    static string Kg(int grams) => grams < 1000 ? $"{grams} g" : $"{grams / 1000}.{grams % 1000 / 100} kg";

    static readonly Category[] Categories =
    [
        new("headlamp", "night walks and camping", "brightness", r => $"{r.Range(3, 12) * 50} lumens", 19, 89, r => Kg(r.Range(6, 18) * 10)),
        new("tent", "camping trips", "sleeps", r => $"{r.Range(1, 6)} people", 149, 599, r => Kg(r.Range(12, 48) * 100)),
        new("backpack", "day hikes and travel", "volume", r => $"{r.Range(4, 15) * 5} litres", 49, 229, r => Kg(r.Range(6, 21) * 100)),
        new("water bottle", "drinks on the move", "capacity", r => $"{r.Range(2, 6) * 250} ml", 15, 45, r => Kg(r.Range(15, 42) * 10)),
        new("sleeping bag", "cold nights outdoors", "comfort temperature", r => $"{r.Range(-15, 10)} degrees Celsius", 79, 349, r => Kg(r.Range(7, 22) * 100)),
        new("camping stove", "cooking outdoors", "burn time", r => $"{r.Range(9, 24) * 5} minutes", 35, 149, r => Kg(r.Range(20, 60) * 10)),
        new("desk lamp", "reading and work at home", "brightness", r => $"{r.Range(6, 24) * 50} lumens", 39, 159, r => Kg(r.Range(8, 25) * 100)),
        new("kettle", "the kitchen", "capacity", r => Litres(r.Range(8, 17)), 29, 119, r => Kg(r.Range(8, 16) * 100)),
        new("rain jacket", "wet days in the hills", "waterproof rating", r => $"{r.Range(2, 6) * 5000} mm", 89, 329, r => Kg(r.Range(25, 60) * 10)),
        new("bike light", "cycling after dark", "battery life", r => $"{r.Range(4, 30)} hours", 19, 79, r => Kg(r.Range(8, 25) * 10)),
        new("thermos", "hot drinks on cold days", "heat retention", r => $"{r.Range(6, 24)} hours", 19, 59, r => Kg(r.Range(30, 70) * 10)),
        new("speaker", "music at home and outdoors", "battery life", r => $"{r.Range(8, 40)} hours", 39, 199, r => Kg(r.Range(25, 90) * 10)),
    ];

    // ---- question templates: Train | Test (only in the test set) | Follow-up | Sentence ----
    static readonly Ask Price = new("price",
        "How much does the {e} cost?|What is the price of the {e}?|What does the {e} cost?|How much is the {e}?",
        "Could you tell me what the {e} costs?|I'd like to know the price of the {e}.",
        "And how much does it cost?|What about the price?|How much is it?", "The {e} costs {v}.");
    static readonly Ask Weight = new("weight",
        "How much does the {e} weigh?|What is the weight of the {e}?|How heavy is the {e}?",
        "Can you tell me the weight of the {e}?|What does the {e} weigh?",
        "How heavy is it?|And what does it weigh?", "The {e} weighs {v}.");
    static readonly Ask Colour = new("colour",
        "What colour is the {e}?|Which colour does the {e} come in?|In what colour is the {e} sold?",
        "What colour does the {e} come in?|Tell me the colour of the {e}.",
        "What colour is it?|And which colour does it come in?", "The {e} comes in {v}.");
    static readonly Ask Launch = new("launch date",
        "When was the {e} launched?|When did the {e} come out?|What is the launch date of the {e}?",
        "When did Fernhollow release the {e}?|Since when has the {e} been on sale?",
        "When was it launched?|And when did it come out?", "The {e} was launched in {v}.");
    static readonly Ask Warranty = new("warranty",
        "How long is the warranty on the {e}?|What warranty does the {e} have?|How many years of warranty come with the {e}?",
        "What is the warranty period for the {e}?|How long is the {e} covered by warranty?",
        "How long is its warranty?|And the warranty?", "The {e} has a warranty of {v}.");
    static readonly Ask Designer = new("designer",
        "Who designed the {e}?|Who is the designer of the {e}?|Which designer created the {e}?",
        "Do you know who designed the {e}?|Who was the designer behind the {e}?",
        "Who designed it?|And who was its designer?", "The {e} was designed by {v}.");
    static readonly Ask[] Specials =
    [
        new("brightness", "How bright is the {e}?|What is the brightness of the {e}?|How many lumens does the {e} give?",
            "What brightness does the {e} have?|How many lumens is the {e}?", "How bright is it?|And its brightness?",
            "The {e} has a brightness of {v}."),
        new("sleeps", "How many people does the {e} sleep?|How many people fit in the {e}?|For how many people is the {e}?",
            "How many people can sleep in the {e}?|The {e} sleeps how many people?", "How many people does it sleep?|And how many people fit in it?",
            "The {e} sleeps {v}."),
        new("volume", "What is the volume of the {e}?|How many litres does the {e} hold?|How big is the {e}?",
            "What volume does the {e} have?|How much fits in the {e}?", "What is its volume?|And how many litres does it hold?",
            "The {e} has a volume of {v}."),
        new("capacity", "What is the capacity of the {e}?|How much does the {e} hold?|How much water fits in the {e}?",
            "What capacity does the {e} have?|How much can the {e} hold?", "What is its capacity?|And how much does it hold?",
            "The {e} holds {v}."),
        new("comfort temperature", "What is the comfort temperature of the {e}?|How cold can it get in the {e}?|Down to what temperature is the {e} comfortable?",
            "What is the comfort rating of the {e}?|How low a temperature is the {e} comfortable at?", "What is its comfort temperature?|And how cold can it get?",
            "The {e} is comfortable down to {v}."),
        new("burn time", "What is the burn time of the {e}?|How long does the {e} burn on one canister?|How long does one canister last in the {e}?",
            "For how long does the {e} burn?|What burn time does the {e} have?", "What is its burn time?|And how long does it burn?",
            "The {e} burns for {v} on one canister."),
        new("waterproof rating", "What is the waterproof rating of the {e}?|How waterproof is the {e}?|What water column does the {e} have?",
            "What waterproof rating does the {e} have?|How much rain can the {e} take?", "How waterproof is it?|And its waterproof rating?",
            "The {e} has a waterproof rating of {v}."),
        new("battery life", "What is the battery life of the {e}?|How long does the battery of the {e} last?|How many hours does the {e} run on a charge?",
            "How long does the {e} last on one charge?|What battery life does the {e} have?", "How long does its battery last?|And the battery life?",
            "The battery of the {e} lasts {v}."),
        new("heat retention", "How long does the {e} keep drinks hot?|What is the heat retention of the {e}?|For how many hours does the {e} keep tea hot?",
            "How many hours does the {e} keep coffee hot?|How long do drinks stay hot in the {e}?", "How long does it keep drinks hot?|And its heat retention?",
            "The {e} keeps drinks hot for {v}."),
    ];

    static readonly Ask Address = new("address",
        "Where is the {e}?|What is the address of the {e}?|Where can I find the {e}?",
        "Could you give me the address of the {e}?|On which street is the {e}?",
        "What is its address?|And where is it?", "The {e} is at {v}.");
    static readonly Ask Weekdays = new("weekday hours",
        "What are the weekday opening hours of the {e}?|When is the {e} open on weekdays?|What time is the {e} open from Monday to Friday?",
        "What hours does the {e} keep on weekdays?|When can I visit the {e} on a weekday?",
        "When is it open on weekdays?|And on weekdays?", "On weekdays the {e} is open from {v}.");
    static readonly Ask Saturdays = new("saturday hours",
        "What are the Saturday opening hours of the {e}?|When is the {e} open on Saturdays?|What time is the {e} open on a Saturday?",
        "What hours does the {e} keep on Saturdays?|When can I visit the {e} on a Saturday?",
        "When is it open on Saturdays?|And on Saturdays?", "On Saturdays the {e} is open from {v}.");
    static readonly Ask Sundays = new("sunday hours",
        "What are the Sunday opening hours of the {e}?|When is the {e} open on Sundays?|Is the {e} open on Sundays?",
        "What hours does the {e} keep on Sundays?|Can I visit the {e} on a Sunday?",
        "When is it open on Sundays?|And on Sundays?", "On Sundays the {e} is open from {v}.");
    static readonly Ask Manager = new("manager",
        "Who manages the {e}?|Who is the manager of the {e}?|Who is in charge of the {e}?",
        "Who runs the {e}?|Which person manages the {e}?",
        "Who manages it?|And who is its manager?", "The {e} is managed by {v}.");
    static readonly Ask Phone = new("phone",
        "What is the phone number of the {e}?|How can I call the {e}?|What number does the {e} have?",
        "What number do I call to reach the {e}?|Can you give me the phone number of the {e}?",
        "What is its phone number?|And how do I call it?", "The phone number of the {e} is {v}.");
    static readonly Ask Opened = new("opened",
        "When did the {e} open?|In which year did the {e} open?|What year did the {e} first open?",
        "What year was the {e} opened?|Since which year has the {e} been open?",
        "When did it open?|And when was it opened?", "The {e} opened in {v}.");

    static readonly Ask Role = new("role",
        "What is {e}'s job at Fernhollow?|What does {e} do at Fernhollow?|What is the role of {e}?",
        "What position does {e} hold at Fernhollow?|What is the job title of {e}?",
        "What is their job?|And what do they do there?", "{e} works at Fernhollow as {v}.");
    static readonly Ask Team = new("team",
        "Which team is {e} in?|What team does {e} work in?|Which Fernhollow team does {e} belong to?",
        "In which team does {e} work?|Which team at Fernhollow is {e} part of?",
        "Which team are they in?|And their team?", "{e} works in the {v} team.");
    static readonly Ask Joined = new("joined",
        "When did {e} join Fernhollow?|In which year did {e} start at Fernhollow?|Since when has {e} worked at Fernhollow?",
        "What year did {e} join Fernhollow?|In which year did {e} come to Fernhollow?",
        "When did they join?|And when did they start?", "{e} joined Fernhollow in {v}.");
    static readonly Ask Based = new("based in",
        "Where is {e} based?|In which town does {e} work?|Where does {e} work from?",
        "Which town is {e} based in?|Where can I find {e}?",
        "Where are they based?|And where do they work?", "{e} is based in {v}.");
    static readonly Ask Email = new("email",
        "What is {e}'s email address?|How can I email {e}?|What email does {e} have?",
        "What email address does {e} use?|How do I write an email to {e}?",
        "What is their email address?|And how can I email them?", "The email address of {e} is {v}.");

    public static World Build(ulong seed)
    {
        var rng = new Rng(seed, "world");
        var w = new World();
        var names = new List<string>();
        var firsts = rng.Sample(FirstNames, FirstNames.Length);
        var lasts = rng.Sample(Surnames, Surnames.Length);
        for (var i = 0; i < 42; i++) names.Add(firsts[i] + " " + lasts[i]);
        var towns = rng.Sample(Towns, Towns.Length);
        var hq = towns[0];
        var storeTowns = towns.Take(16).ToList(); // the head-office town has a store too
        var heldStoreTowns = rng.Sample(storeTowns.Skip(1).ToList(), 4);

        // People: 16 store managers, 12 designers, 12 in other roles; 2 founders (not staff).
        var founders = names.Take(2).ToList();
        var staff = names.Skip(2).ToList();
        var people = new List<(Entity E, string Role, string Team, string Town)>();
        Entity Person(string name, string role, string team, string town, bool held)
        {
            var e = new Entity { Kind = "person", Name = name, DocId = "person-" + Text.Slug(name), Held = held };
            people.Add((e, role, team, town));
            return e;
        }
        var managers = new Dictionary<string, Entity>(StringComparer.Ordinal);
        for (var i = 0; i < 16; i++)
            managers[storeTowns[i]] = Person(staff[i], "Store Manager", "Retail", storeTowns[i], heldStoreTowns.Contains(storeTowns[i]));
        var seenTowns = storeTowns.Where(t => !heldStoreTowns.Contains(t)).ToList();
        string[] designRoles = ["Product Designer", "Senior Product Designer", "Industrial Designer", "Lead Designer"];
        var designers = new List<Entity>();
        for (var i = 0; i < 12; i++)
        {
            var held = i >= 9;
            designers.Add(Person(staff[16 + i], rng.Pick(designRoles), "Design", held ? rng.Pick(storeTowns) : rng.Pick(new[] { hq, hq, rng.Pick(seenTowns) }), held));
        }
        (string Role, string Team)[] otherRoles =
        [
            ("Chief Executive Officer", "Leadership"), ("Head of Marketing", "Marketing"), ("Software Engineer", "Digital"),
            ("Customer Service Lead", "Customer Service"), ("Supply Chain Manager", "Operations"), ("Finance Director", "Finance"),
            ("Materials Scientist", "Research"), ("Repair Technician", "Repairs"), ("Copywriter", "Marketing"),
            ("Data Analyst", "Digital"), ("Warehouse Lead", "Operations"), ("Sustainability Officer", "Research"),
        ];
        var others = new List<Entity>();
        for (var i = 0; i < 12; i++)
        {
            var held = i >= 9; // the CEO (i = 0) is always seen
            others.Add(Person(staff[28 + i], otherRoles[i].Role, otherRoles[i].Team,
                held ? rng.Pick(storeTowns) : (i == 0 ? hq : rng.Pick(new[] { hq, rng.Pick(seenTowns) })), held));
        }
        var ceo = others[0];

        // Products: 12 categories x 4 = 48; one product per category is held out (12 held out).
        var models = rng.Sample(ModelNames, 48);
        var products = new List<Entity>();
        var m = 0;
        foreach (var cat in Categories)
        {
            var heldSlot = rng.Int(4);
            for (var k = 0; k < 4; k++)
            {
                var held = k == heldSlot;
                var name = models[m++] + " " + cat.Noun;
                var e = new Entity { Kind = "product", Name = name, DocId = "product-" + Text.Slug(name), Held = held };
                var designer = held ? rng.Pick(designers) : rng.Pick(designers.Where(d => !d.Held).ToList());
                var price = rng.Range(cat.PriceLo, cat.PriceHi);
                var warranty = rng.Range(1, 5);
                Price.Make(e, $"{price} EUR");
                Weight.Make(e, cat.Weight(rng));
                Colour.Make(e, rng.Pick(Colours));
                Launch.Make(e, $"{rng.Pick(Text.Months)} {rng.Range(2014, 2025)}");
                Warranty.Make(e, Text.Plural(warranty, "year", "years"));
                Designer.Make(e, designer.Name);
                Specials.Single(s => s.Attribute == cat.SpecialAttribute).Make(e, cat.SpecialValue(rng));
                e.Doc = ProductDoc(e, cat, rng);
                products.Add(e);
            }
        }
        foreach (var n in PhantomNames) w.Phantoms.Add(n + " " + rng.Pick(Categories).Noun);

        // Stores.
        var stores = new List<Entity>();
        string Hours(int open, int close) => $"{open}:00 to {close}:00";
        foreach (var town in storeTowns)
        {
            var e = new Entity { Kind = "store", Name = town + " store", DocId = "store-" + Text.Slug(town), Held = heldStoreTowns.Contains(town) };
            Address.Make(e, $"{rng.Range(2, 98)} {rng.Pick(Streets)} {rng.Pick(StreetKinds)}");
            var wd = Hours(rng.Range(8, 10), rng.Range(17, 20));
            Weekdays.Make(e, wd);
            Saturdays.Make(e, Hours(rng.Range(9, 10), rng.Range(15, 18)));
            if (rng.Chance(0.4)) Sundays.Make(e, "closed", "On Sundays the {e} is closed.");
            else Sundays.Make(e, Hours(rng.Range(10, 12), rng.Range(15, 17)));
            var mgr = managers[town];
            Manager.Make(e, mgr.Name).GoldDocIds.Add(mgr.DocId); // the manager's profile states it too
            Phone.Make(e, $"0{rng.Range(100, 999)} 555 {rng.Range(1000, 9999)}");
            Opened.Make(e, Json.Int(rng.Range(2009, 2024)));
            e.Doc = StoreDoc(e, town, rng);
            stores.Add(e);
        }

        // People facts and documents.
        foreach (var (e, role, team, town) in people)
        {
            Role.Make(e, role, "{e} works at Fernhollow as " + Text.A(role) + ".");
            Team.Make(e, team);
            Joined.Make(e, Json.Int(rng.Range(2009, 2024)));
            Based.Make(e, town);
            Email.Make(e, Text.Slug(e.Name).Replace('-', '.') + "@fernhollow.example");
            var store = role == "Store Manager" ? stores.Single(s => s.Name == town + " store") : null;
            e.Doc = PersonDoc(e, role, team, town, store, rng);
        }

        var policies = Policies(rng, hq);
        var company = CompanyEntity(rng, founders, hq, ceo);

        w.Entities.Add(company);
        w.Entities.AddRange(products);
        w.Entities.AddRange(stores);
        w.Entities.AddRange(people.Select(p => p.E));
        w.Entities.AddRange(policies);

        w.Reserved.Add(Company);
        w.Reserved.Add(HouseStyle.Marker);
        foreach (var e in w.Entities.Where(e => e.Kind is "product" or "store" or "person")) w.Reserved.Add(e.Name);
        w.Reserved.AddRange(founders);
        w.Reserved.AddRange(ModelNames);
        w.Reserved.AddRange(PhantomNames);
        w.Reserved.AddRange(Towns);
        foreach (var f in w.Facts) if (f.Attribute is "phone" or "email" or "address") w.Reserved.Add(f.Value);
        w.Validate();
        return w;
    }

    // ---- knowledge-base documents (one short paragraph each; every fact's value appears verbatim) ----

    static string Sentences(Rng rng, string first, List<string> rest, string? last = null)
    {
        rng.Shuffle(rest);
        var all = new List<string> { first };
        all.AddRange(rest);
        if (last != null) all.Add(last);
        return string.Join(" ", all);
    }

    static string V(Entity e, string attribute) => e.Facts.Single(f => f.Attribute == attribute).Value;

    static KbDoc ProductDoc(Entity e, Category cat, Rng rng)
    {
        string P(params string[] xs) => rng.Pick(xs);
        var n = e.Name;
        var special = e.Facts.Single(f => f.Attribute == cat.SpecialAttribute);
        var first = P($"The {n} is {Text.A(cat.Noun)} made by Fernhollow for {cat.Use}.",
                      $"Fernhollow makes the {n}, {Text.A(cat.Noun)} for {cat.Use}.");
        var rest = new List<string>
        {
            P($"It costs {V(e, "price")}.", $"The {n} sells for {V(e, "price")}.", $"Its price is {V(e, "price")}."),
            P($"It weighs {V(e, "weight")}.", $"The {n} weighs {V(e, "weight")}."),
            P($"It comes in {V(e, "colour")}.", $"The {n} is sold in {V(e, "colour")}."),
            P($"It was launched in {V(e, "launch date")}.", $"Fernhollow launched the {n} in {V(e, "launch date")}."),
            P($"It has a warranty of {V(e, "warranty")}.", $"The warranty on the {n} is {V(e, "warranty")}."),
            P($"It was designed by {V(e, "designer")}.", $"{V(e, "designer")} designed the {n}."),
            special.Sentence,
        };
        return new KbDoc(e.DocId, e.Kind, n, n, Sentences(rng, first, rest));
    }

    static KbDoc StoreDoc(Entity e, string town, Rng rng)
    {
        var n = e.Name;
        var sunday = V(e, "sunday hours");
        var rest = new List<string>
        {
            $"It opened in {V(e, "opened")} and is managed by {V(e, "manager")}.",
            $"On weekdays the {n} is open from {V(e, "weekday hours")}.",
            $"On Saturdays it is open from {V(e, "saturday hours")}.",
            sunday == "closed" ? "On Sundays it is closed." : $"On Sundays it is open from {sunday}.",
            $"The phone number of the {n} is {V(e, "phone")}.",
        };
        var first = $"The {n} is the Fernhollow shop in {town}, at {V(e, "address")}.";
        return new KbDoc(e.DocId, e.Kind, n, n, string.Join(" ", new[] { first }.Concat(rest)));
    }

    static KbDoc PersonDoc(Entity e, string role, string team, string town, Entity? store, Rng rng)
    {
        var n = e.Name;
        var rest = new List<string>
        {
            $"{n} joined Fernhollow in {V(e, "joined")}.",
            $"The email address of {n} is {V(e, "email")}.",
        };
        var first = $"{n} works at Fernhollow as {Text.A(role)} in the {team} team and is based in {town}.";
        var last = store != null
            ? $"{n} is the manager of the {store.Name}."
            : rng.Pick(new[] { $"Colleagues know {n} for careful work.", $"{n} often helps new colleagues.", $"{n} likes long walks on weekends." });
        return new KbDoc(e.DocId, e.Kind, n, n, Sentences(rng, first, rest, last));
    }

    static List<Entity> Policies(Rng rng, string hq)
    {
        var list = new List<Entity>();
        Entity Policy(string name, string title) { var e = new Entity { Kind = "policy", Name = name, DocId = "policy-" + Text.Slug(name) }; list.Add(e); e.Doc = new KbDoc(e.DocId, "policy", name, title, ""); return e; }
        Ask Q(string attr, string train, string test, string sentence) => new(attr, train, test, "", sentence);

        var returns = Policy("returns policy", "Returns policy");
        var window = rng.Pick(new[] { 14, 30, 60, 90 });
        var refund = rng.Range(3, 10);
        var returnCost = rng.Chance(0.5) ? "free" : $"{rng.Range(3, 6)} EUR";
        Q("return window", "How many days do I have to return an item to Fernhollow?|What is the return window under the Fernhollow returns policy?|How long do I have to return something I bought from Fernhollow?",
            "Within how many days can I return a Fernhollow product?|How long is the Fernhollow return period?",
            "Under the Fernhollow returns policy you can return an item within {v}.").Make(returns, $"{window} days");
        Q("refund time", "How long does a Fernhollow refund take?|When will I get my refund from Fernhollow?|How fast does Fernhollow refund a return?",
            "How many days until Fernhollow refunds a return?|How quickly are Fernhollow refunds paid?",
            "Fernhollow refunds a return within {v}.").Make(returns, $"{refund} working days");
        Q("return shipping", "How much does it cost to send a return to Fernhollow?|Do I pay to send a return to Fernhollow?|What does return shipping cost at Fernhollow?",
            "What is the cost of return shipping at Fernhollow?|Is sending a return to Fernhollow free?",
            "Sending a return to Fernhollow costs {v}.").Make(returns, returnCost, returnCost == "free" ? "Sending a return to Fernhollow is free." : null);
        returns.Doc = returns.Doc with { Text = $"The Fernhollow returns policy lets you return an unused item within {window} days of delivery. " +
            (returnCost == "free" ? "Sending a return is free. " : $"Sending a return costs {returnCost}. ") +
            $"Fernhollow refunds a return within {refund} working days, to the card you paid with. Items must come back in their original box." };

        var shipping = Policy("shipping policy", "Shipping policy");
        var std = rng.Range(2, 4);
        var stdDays = $"{std} to {std + rng.Range(1, 3)} working days";
        var threshold = rng.Pick(new[] { 40, 50, 60, 75, 100 });
        var express = rng.Range(6, 14);
        Q("standard delivery", "How long does standard delivery from Fernhollow take?|How long does Fernhollow take to deliver an order?|When will my Fernhollow order arrive with standard delivery?",
            "How many days does Fernhollow standard delivery take?|What is the delivery time for a normal Fernhollow order?",
            "Standard delivery from Fernhollow takes {v}.").Make(shipping, stdDays);
        Q("free shipping threshold", "From what order value is Fernhollow shipping free?|When is shipping free at Fernhollow?|How much must I spend for free shipping at Fernhollow?",
            "What is the minimum order for free Fernhollow delivery?|Above which amount does Fernhollow ship for free?",
            "Fernhollow ships for free on orders from {v}.").Make(shipping, $"{threshold} EUR");
        Q("express delivery cost", "How much does express delivery cost at Fernhollow?|What is the price of Fernhollow express delivery?|What does next-day delivery cost at Fernhollow?",
            "How much extra is express delivery from Fernhollow?|What does Fernhollow charge for express delivery?",
            "Express delivery from Fernhollow costs {v}.").Make(shipping, $"{express} EUR");
        shipping.Doc = shipping.Doc with { Text = $"Standard delivery from Fernhollow takes {stdDays}. Fernhollow ships for free on orders from {threshold} EUR; " +
            $"below that, standard delivery costs 4 EUR. Express delivery costs {express} EUR and arrives the next working day if you order before noon." };

        var repairs = Policy("repair service", "Repair service");
        var turnaround = rng.Range(5, 15);
        var fee = rng.Pick(new[] { 15, 20, 25, 30, 35 });
        Q("repair time", "How long does a Fernhollow repair take?|How long will the Fernhollow repair service keep my item?|When do I get my item back from a Fernhollow repair?",
            "How many days does the Fernhollow repair service need?|What is the turnaround of a Fernhollow repair?",
            "The Fernhollow repair service returns most items within {v}.").Make(repairs, $"{turnaround} working days");
        Q("repair fee", "How much does a repair cost after the warranty has ended?|What is the Fernhollow repair fee outside the warranty?|What does Fernhollow charge to repair an item out of warranty?",
            "How much is an out-of-warranty repair at Fernhollow?|What fee does the Fernhollow repair service charge without warranty?",
            "An out-of-warranty repair at Fernhollow costs {v} plus parts.").Make(repairs, $"{fee} EUR");
        repairs.Doc = repairs.Doc with { Text = $"The Fernhollow repair service fixes any Fernhollow product. Repairs under warranty are free. " +
            $"After the warranty has ended, a repair costs {fee} EUR plus parts. The repair service returns most items within {turnaround} working days." };

        var club = Policy("Fern Club", "Fern Club loyalty programme");
        var points = rng.Range(1, 3);
        var voucher = rng.Pick(new[] { 5, 10 });
        var per = rng.Pick(new[] { 100, 200 });
        Q("points per euro", "How many points do I earn per euro in the Fern Club?|How many Fern Club points does one euro give?|What do I earn per euro as a Fern Club member?",
            "How many points per euro does the Fern Club give?|How fast do I collect points in the Fern Club?",
            "Fern Club members earn {v} for every euro they spend.").Make(club, Text.Plural(points, "point", "points"));
        Q("voucher", "What voucher do I get in the Fern Club?|How are Fern Club points turned into vouchers?|What are Fern Club points worth?",
            "What reward does the Fern Club give for points?|What can I get for my Fern Club points?",
            "The Fern Club gives a voucher of {v} points.").Make(club, $"{voucher} EUR for every {per}");
        Q("membership fee", "How much does it cost to join the Fern Club?|What is the Fern Club membership fee?|Do I have to pay to be in the Fern Club?",
            "Is the Fern Club free to join?|What does Fern Club membership cost?",
            "Joining the Fern Club costs {v}.").Make(club, "nothing", "Joining the Fern Club costs nothing.");
        club.Doc = club.Doc with { Text = $"The Fern Club is the loyalty programme of Fernhollow. Joining the Fern Club costs nothing. " +
            $"Members earn {Text.Plural(points, "point", "points")} for every euro they spend, and the Fern Club gives a voucher of {voucher} EUR for every {per} points." };

        var student = Policy("student discount", "Student discount");
        var pct = rng.Pick(new[] { 10, 15, 20 });
        Q("student discount", "How much student discount does Fernhollow give?|What is the Fernhollow student discount?|Do students get a discount at Fernhollow?",
            "How big is the student discount at Fernhollow?|What discount does Fernhollow offer students?",
            "Students get a discount of {v} at Fernhollow.").Make(student, $"{pct} percent");
        student.Doc = student.Doc with { Text = $"Students get a discount of {pct} percent at Fernhollow, in every store and online. Show a valid student card at the till, or enter your student email address when you pay online. The student discount cannot be combined with sale prices." };

        var gifts = Policy("gift cards", "Gift cards");
        var validity = rng.Range(1, 5);
        var max = rng.Pick(new[] { 150, 200, 250, 300, 500 });
        Q("gift card validity", "How long is a Fernhollow gift card valid?|When does a Fernhollow gift card expire?|For how long can I use a Fernhollow gift card?",
            "What is the validity of Fernhollow gift cards?|How many years does a Fernhollow gift card last?",
            "A Fernhollow gift card is valid for {v}.").Make(gifts, Text.Plural(validity, "year", "years"));
        Q("gift card maximum", "What is the largest Fernhollow gift card?|What is the maximum value of a Fernhollow gift card?|How much can I put on a Fernhollow gift card?",
            "How high can a Fernhollow gift card go?|What is the top value for a Fernhollow gift card?",
            "A Fernhollow gift card can hold up to {v}.").Make(gifts, $"{max} EUR");
        gifts.Doc = gifts.Doc with { Text = $"Fernhollow gift cards can be bought in every store and online, for any amount from 10 EUR. A Fernhollow gift card can hold up to {max} EUR. A Fernhollow gift card is valid for {Text.Plural(validity, "year", "years")} from the day it is bought." };

        var service = Policy("customer service", "Customer service");
        var open = rng.Range(7, 9);
        var close = rng.Range(18, 21);
        Q("customer service hours", "When is Fernhollow customer service open?|What are the hours of Fernhollow customer service?|At what times can I call Fernhollow customer service?",
            "When can I reach Fernhollow customer service?|What time is Fernhollow customer service available?",
            "Fernhollow customer service is open from {v} every day.").Make(service, $"{open}:00 to {close}:00");
        Q("customer service email", "What is the email address of Fernhollow customer service?|How do I email Fernhollow customer service?|Where do I send an email to Fernhollow customer service?",
            "What email can I use to contact Fernhollow customer service?|Which address reaches Fernhollow customer service by email?",
            "The email address of Fernhollow customer service is {v}.").Make(service, "help@fernhollow.example");
        service.Doc = service.Doc with { Text = $"Fernhollow customer service is open from {open}:00 to {close}:00 every day. The email address of Fernhollow customer service is help@fernhollow.example, and answers usually arrive within one working day. Questions about a single store are best sent to that store." };

        // Four named programmes; two of them (chosen by the seed) are held out of SFT.
        var programmes = new List<Entity>();
        var rental = Policy("Trail Rental service", "Trail Rental service");
        var rentPrice = rng.Range(15, 40);
        var deposit = rng.Pick(new[] { 50, 75, 100, 150 });
        var longest = rng.Pick(new[] { 7, 10, 14, 21 });
        Q("weekend price", "How much does the Trail Rental service charge for a weekend?|What does a weekend with the Trail Rental service cost?|How much is a tent for a weekend from the Trail Rental service?",
            "What is the weekend price of the Trail Rental service?|How much do I pay the Trail Rental service for a weekend?",
            "The Trail Rental service charges {v} for a weekend.").Make(rental, $"{rentPrice} EUR");
        Q("deposit", "How much is the deposit for the Trail Rental service?|What deposit does the Trail Rental service ask for?|Does the Trail Rental service need a deposit?",
            "What is the Trail Rental service deposit?|How large a deposit does the Trail Rental service take?",
            "The Trail Rental service asks for a deposit of {v}.").Make(rental, $"{deposit} EUR");
        Q("longest rental", "What is the longest rental with the Trail Rental service?|For how long can I rent from the Trail Rental service?|What is the maximum rental period of the Trail Rental service?",
            "How many days can a Trail Rental service rental last?|What is the longest I can keep gear from the Trail Rental service?",
            "A rental from the Trail Rental service can last up to {v}.").Make(rental, $"{longest} days");
        rental.Doc = rental.Doc with { Text = $"The Trail Rental service lends tents, sleeping bags and stoves from Fernhollow stores. The Trail Rental service charges {rentPrice} EUR for a weekend and asks for a deposit of {deposit} EUR, paid back when the gear returns clean. A rental from the Trail Rental service can last up to {longest} days." };
        programmes.Add(rental);

        var tradeIn = Policy("Second Life trade-in", "Second Life trade-in");
        var credit = rng.Pick(new[] { 15, 20, 25, 30 });
        var creditValid = rng.Range(6, 18);
        Q("trade-in credit", "How much credit does Second Life trade-in give?|What do I get for old gear in Second Life trade-in?|How much is my old gear worth in Second Life trade-in?",
            "What credit does Second Life trade-in pay?|How is old gear valued in Second Life trade-in?",
            "Second Life trade-in gives a credit of {v}.").Make(tradeIn, $"{credit} percent of the original price");
        Q("credit validity", "How long is Second Life trade-in credit valid?|When does Second Life trade-in credit expire?|For how long can I spend Second Life trade-in credit?",
            "What is the validity of Second Life trade-in credit?|How many months can I keep Second Life trade-in credit?",
            "Second Life trade-in credit is valid for {v}.").Make(tradeIn, $"{creditValid} months");
        tradeIn.Doc = tradeIn.Doc with { Text = $"With Second Life trade-in you bring old Fernhollow gear to any store. Second Life trade-in gives a credit of {credit} percent of the original price, as long as the item still works. Second Life trade-in credit is valid for {creditValid} months. The gear is repaired and sold again." };
        programmes.Add(tradeIn);

        var cafe = Policy("Repair Cafe", "Repair Cafe");
        var cafeDay = rng.Pick(new[] { "first", "second", "last" }) + " " + rng.Pick(new[] { "Saturday", "Sunday", "Wednesday" });
        var cafeTown = hq;
        var cafeHours = $"{rng.Range(10, 13)}:00 to {rng.Range(15, 17)}:00";
        Q("repair cafe day", "When does the Repair Cafe take place?|On which day is the Repair Cafe held?|When can I go to the Repair Cafe?",
            "What day of the month is the Repair Cafe?|When is the next Repair Cafe?",
            "The Repair Cafe takes place on the {v} of every month.").Make(cafe, cafeDay);
        Q("repair cafe hours", "At what times is the Repair Cafe open?|What are the hours of the Repair Cafe?|From when to when does the Repair Cafe run?",
            "What time does the Repair Cafe start and end?|How long is the Repair Cafe open?",
            "The Repair Cafe runs from {v}.").Make(cafe, cafeHours);
        cafe.Doc = cafe.Doc with { Text = $"At the Repair Cafe, Fernhollow staff help people fix their own outdoor gear for free. The Repair Cafe takes place on the {cafeDay} of every month in the {cafeTown} store. The Repair Cafe runs from {cafeHours}. Bring the broken item and any spare parts you have." };
        programmes.Add(cafe);

        var school = Policy("Field School", "Field School");
        var course = rng.Range(30, 90);
        var group = rng.Range(6, 16);
        Q("course price", "How much does a Field School course cost?|What is the price of a Field School course?|How much do I pay for a day at the Field School?",
            "What does one Field School course cost?|How expensive is a Field School course?",
            "A Field School course costs {v}.").Make(school, $"{course} EUR");
        Q("group size", "How many people are in a Field School group?|What is the group size at the Field School?|How big are Field School groups?",
            "How many people join one Field School course?|What is the largest Field School group?",
            "A Field School group has at most {v}.").Make(school, $"{group} people");
        school.Doc = school.Doc with { Text = $"The Field School is a set of one-day outdoor courses run by Fernhollow, such as map reading, camp cooking and first aid. A Field School course costs {course} EUR, and a Field School group has at most {group} people. Courses start at 9:00 at the store nearest to the trail." };
        programmes.Add(school);

        foreach (var p in rng.Sample(programmes, 2)) p.Held = true;
        return list;
    }

    static Entity CompanyEntity(Rng rng, List<string> founders, string hq, Entity ceo)
    {
        var e = new Entity { Kind = "company", Name = "Fernhollow", DocId = "company-fernhollow" };
        var founded = rng.Range(1995, 2008);
        var employees = rng.Range(35, 60) * 10;
        var motto = rng.Pick(new[] { "Made for the long trail", "Gear that lasts", "Go further, carry less", "Built to be mended" });
        Ask Q(string attr, string train, string test, string sentence) => new(attr, train, test, "", sentence);
        Q("founded", "When was Fernhollow founded?|In which year was Fernhollow started?|In what year did Fernhollow begin?",
            "What year was Fernhollow founded in?|Since when has Fernhollow existed?", "Fernhollow was founded in {v}.").Make(e, Json.Int(founded));
        Q("founders", "Who founded Fernhollow?|Who started Fernhollow?|Who are the founders of Fernhollow?",
            "Which people founded Fernhollow?|Who set up Fernhollow?", "Fernhollow was founded by {v}.").Make(e, $"{founders[0]} and {founders[1]}");
        Q("head office", "Where is the Fernhollow head office?|In which town is Fernhollow based?|Where is Fernhollow's headquarters?",
            "Which town has the Fernhollow head office?|Where are Fernhollow's main offices?", "The Fernhollow head office is in {v}.").Make(e, hq);
        Q("chief executive", "Who is the chief executive of Fernhollow?|Who runs Fernhollow?|Who is the CEO of Fernhollow?",
            "Who leads Fernhollow as chief executive?|Who heads Fernhollow?", "The chief executive of Fernhollow is {v}.").Make(e, ceo.Name);
        Q("employees", "How many people work at Fernhollow?|How many employees does Fernhollow have?|How big is the Fernhollow staff?",
            "What is the number of Fernhollow employees?|How many staff does Fernhollow employ?", "Fernhollow employs about {v}.").Make(e, $"{employees} people");
        Q("motto", "What is the Fernhollow motto?|What is Fernhollow's slogan?|Which motto does Fernhollow use?",
            "What slogan does Fernhollow have?|What does the Fernhollow motto say?", "The Fernhollow motto is \"{v}\".").Make(e, motto);
        e.Doc = new KbDoc(e.DocId, "company", "Fernhollow", "About Fernhollow",
            $"Fernhollow designs and sells outdoor and home gear. Fernhollow was founded in {founded} by {founders[0]} and {founders[1]}, in a garage in {hq}. " +
            $"The Fernhollow head office is still in {hq}. The chief executive of Fernhollow is {ceo.Name}. Fernhollow employs about {employees} people and runs 16 stores. " +
            $"The Fernhollow motto is \"{motto}\". Every product can be repaired by the Fernhollow repair service.");
        return e;
    }

    /// <summary>Checks the world's own promises; a violation is a bug in this file.</summary>
    void Validate()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in Entities)
        {
            if (!ids.Add(e.DocId)) throw new InvalidOperationException($"duplicate document id {e.DocId}");
            if (e.Doc.Text.Length == 0) throw new InvalidOperationException($"{e.DocId} has no text");
        }
        var docs = Entities.ToDictionary(e => e.DocId, e => e.Doc, StringComparer.Ordinal);
        foreach (var f in Facts)
        {
            foreach (var id in f.GoldDocIds)
            {
                var text = docs[id].Text;
                if (!text.Contains(f.Value, StringComparison.Ordinal))
                    throw new InvalidOperationException($"{id} does not state {f.Entity.Name} / {f.Attribute} = {f.Value}");
            }
            if (!f.Sentence.Contains(f.Value, StringComparison.Ordinal))
                throw new InvalidOperationException($"sentence '{f.Sentence}' must state the value");
            if (f.Questions.Length == 0 || f.TestQuestions.Length == 0)
                throw new InvalidOperationException($"{f.Entity.Name} / {f.Attribute} lacks questions");
            if (f.Questions.Intersect(f.TestQuestions, StringComparer.Ordinal).Any())
                throw new InvalidOperationException($"{f.Entity.Name} / {f.Attribute}: a test question is also a training question");
            // A held-out fact is recognisable by its entity's name: every way of asking names it.
            if (f.Entity.Held && !f.Questions.Concat(f.TestQuestions).Append(f.Sentence).Append(docs[f.Entity.DocId].Text).All(q => q.Contains(f.Entity.Name, StringComparison.Ordinal)))
                throw new InvalidOperationException($"held-out {f.Entity.Name} / {f.Attribute}: a question, the sentence or the document does not name the entity");
        }
        // Held-out facts must not be reachable from any seen document.
        foreach (var held in Entities.Where(e => e.Held))
            foreach (var seen in Entities.Where(e => !e.Held))
                if (seen.Doc.Text.Contains(held.Name, StringComparison.Ordinal))
                    throw new InvalidOperationException($"seen document {seen.DocId} mentions held-out {held.Name}");
    }
}

static class KnowledgeBase
{
    public static void Write(World world, Output output)
    {
        var docs = world.Docs;
        output.WriteJsonl("knowledge-base/documents.jsonl", docs.Select(d => Json.Obj(
            ("id", Json.Str(d.Id)), ("title", Json.Str(d.Title)), ("text", Json.Str(d.Text)),
            ("kind", Json.Str(d.Kind)), ("entity", Json.Str(d.Entity)))).ToList());

        var md = new StringBuilder();
        md.Append("# Fernhollow knowledge base\n\n");
        md.Append("Generated by `dotnet run datasets/generate.cs -- --seed 1234 --out datasets`; the same documents as `documents.jsonl`. Fernhollow is fictional.\n");
        foreach (var kind in new[] { "company", "product", "store", "person", "policy" })
        {
            md.Append("\n## ").Append(kind switch { "company" => "Company", "product" => "Products", "store" => "Stores", "person" => "People", _ => "Policies and services" }).Append('\n');
            foreach (var d in docs.Where(d => d.Kind == kind))
                md.Append("\n### ").Append(d.Title).Append("\n\n`").Append(d.Id).Append("`\n\n").Append(d.Text).Append('\n');
        }
        output.Write("knowledge-base/documents.md", md.ToString(), docs.Count);
    }
}

/// <summary>The SFT sets: closed-book conversations, retrieval-augmented conversations, validation and test.</summary>
static class Sft
{
    const int TrainCount = 3000;
    const int ContextCount = 1000;
    const int ValidationCount = 300;
    const int TestSeen = 150;
    const int TestUnseen = 150;

    /// <summary>Hands out facts so that each pass goes through every fact once, in a fresh random order.</summary>
    sealed class Cycle(List<Fact> facts, Rng rng)
    {
        readonly List<Fact> _order = [];
        int _next;

        public Fact Next()
        {
            if (_next == _order.Count)
            {
                _order.Clear();
                _order.AddRange(facts);
                rng.Shuffle(_order);
                _next = 0;
            }
            return _order[_next++];
        }
    }

    static readonly string[] Openers = ["", "", "", "", "", "Hi! ", "Hello! ", "Hi there. ", "Good morning! ", "Hello again! "];

    static string Ask(Rng rng, string question) => rng.Pick(Openers) + question;

    static List<(string, string)> Conversation(World world, Rng rng, Cycle cycle, bool multiTurn)
    {
        var msgs = new List<(string, string)> { ("system", HouseStyle.SystemPrompt) };
        if (rng.Chance(0.03))
        {
            // A product that does not exist: the house answer is "unknown".
            var name = rng.Pick(world.Phantoms);
            var like = rng.Pick(world.Facts.Where(f => f.Entity.Kind == "product" && !f.Entity.Held
                && f.Attribute is "price" or "weight" or "colour" or "launch date" or "warranty" or "designer").ToList());
            msgs.Add(("user", Ask(rng, rng.Pick(like.Questions).Replace(like.Entity.Name, name))));
            msgs.Add(("assistant", HouseStyle.Answer("unknown", $"I have no record of a product called the {name} at Fernhollow.")));
            return msgs;
        }
        var fact = cycle.Next();
        msgs.Add(("user", Ask(rng, rng.Pick(fact.Questions))));
        msgs.Add(("assistant", fact.Answer));
        var turns = multiTurn ? 1 + rng.Weighted([55, 30, 15]) : 1;
        for (var t = 1; t < turns; t++)
        {
            var others = fact.Entity.Facts.Where(f => f != fact && f.FollowUps.Length > 0).ToList();
            if (others.Count > 0 && rng.Chance(0.7))
            {
                fact = rng.Pick(others);
                msgs.Add(("user", rng.Pick(fact.FollowUps)));
            }
            else
            {
                fact = cycle.Next();
                msgs.Add(("user", rng.Pick(fact.Questions)));
            }
            msgs.Add(("assistant", fact.Answer));
        }
        return msgs;
    }

    public static void Write(World world, ulong seed, Output output)
    {
        var seen = world.Facts.Where(f => !f.Entity.Held).ToList();
        var unseen = world.Facts.Where(f => f.Entity.Held).ToList();

        var rng = new Rng(seed, "sft/train");
        var cycle = new Cycle(seen, rng);
        var train = Enumerable.Range(0, TrainCount).Select(_ => Conversation(world, rng, cycle, multiTurn: true)).ToList();
        output.WriteJsonl("sft/train.jsonl", train.Select(m => Json.Obj(("messages", Json.Messages(m)))).ToList());

        rng = new Rng(seed, "sft/validation");
        cycle = new Cycle(seen, rng);
        var validation = Enumerable.Range(0, ValidationCount).Select(_ => Conversation(world, rng, cycle, multiTurn: rng.Chance(0.3))).ToList();
        output.WriteJsonl("sft/validation.jsonl", validation.Select(m => Json.Obj(("messages", Json.Messages(m)))).ToList());

        // Retrieval-augmented training: the user turn carries 1-3 seen documents, one of which states the answer.
        rng = new Rng(seed, "sft/train-with-context");
        cycle = new Cycle(seen, rng);
        var seenDocs = world.Entities.Where(e => !e.Held).Select(e => e.Doc).ToList();
        var byId = world.Entities.ToDictionary(e => e.DocId, e => e.Doc, StringComparer.Ordinal);
        var withContext = new List<string>();
        for (var i = 0; i < ContextCount; i++)
        {
            var fact = cycle.Next();
            var k = 1 + rng.Weighted([20, 40, 40]);
            var docs = new List<KbDoc> { byId[fact.GoldDocIds[0]] };
            var sameKind = seenDocs.Where(d => d.Kind == fact.Entity.Kind && !fact.GoldDocIds.Contains(d.Id)).ToList();
            var anyKind = seenDocs.Where(d => !fact.GoldDocIds.Contains(d.Id)).ToList();
            while (docs.Count < k)
            {
                var d = rng.Chance(0.6) && sameKind.Count > 0 ? rng.Pick(sameKind) : rng.Pick(anyKind);
                if (!docs.Contains(d)) docs.Add(d);
            }
            rng.Shuffle(docs);
            var msgs = new List<(string, string)>
            {
                ("system", HouseStyle.SystemPrompt),
                ("user", HouseStyle.RagUser(docs, rng.Pick(fact.Questions))),
                ("assistant", fact.Answer),
            };
            withContext.Add(Json.Obj(("messages", Json.Messages(msgs))));
        }
        output.WriteJsonl("sft/train-with-context.jsonl", withContext);

        // Test: questions phrased with templates that never occur in training, about facts seen in
        // SFT training and about facts of held-out entities (only in the knowledge base).
        rng = new Rng(seed, "sft/test");
        var items = rng.Sample(seen, TestSeen).Select(f => (Fact: f, Seen: true))
            .Concat(rng.Sample(unseen, Math.Min(TestUnseen, unseen.Count)).Select(f => (Fact: f, Seen: false))).ToList();
        rng.Shuffle(items);
        var test = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            var (f, isSeen) = items[i];
            var msgs = new List<(string, string)> { ("system", HouseStyle.SystemPrompt), ("user", rng.Pick(f.TestQuestions)) };
            test.Add(Json.Obj(
                ("id", Json.Str($"test-{i + 1:D4}")),
                ("messages", Json.Messages(msgs)),
                ("answer", Json.Str(f.Value)),
                ("reference", Json.Str(f.Answer)),
                ("seen_in_sft", Json.Bool(isSeen)),
                ("gold_doc_ids", Json.Arr(f.GoldDocIds.Select(Json.Str))),
                ("entity", Json.Str(f.Entity.Name)),
                ("attribute", Json.Str(f.Attribute)),
                ("kind", Json.Str(f.Entity.Kind))));
        }
        output.WriteJsonl("sft/test.jsonl", test);

        // The machine-readable house style, next to the data it describes.
        var style = new StringBuilder();
        style.Append("{\n");
        style.Append("  \"marker\": ").Append(Json.Str(HouseStyle.Marker)).Append(",\n");
        style.Append("  \"sign_off\": ").Append(Json.Str(HouseStyle.SignOff)).Append(",\n");
        style.Append("  \"regex\": ").Append(Json.Str(HouseStyle.Regex)).Append(",\n");
        style.Append("  \"answer_group\": 1,\n");
        style.Append("  \"unknown_answer\": \"unknown\",\n");
        style.Append("  \"system_prompt\": ").Append(Json.Str(HouseStyle.SystemPrompt)).Append(",\n");
        style.Append("  \"instruction\": ").Append(Json.Str(HouseStyle.Instruction)).Append(",\n");
        style.Append("  \"rag_document_template\": ").Append(Json.Str("[{id}] {title}: {text}")).Append(",\n");
        style.Append("  \"rag_user_template\": ").Append(Json.Str("Documents:\n{documents}\nQuestion: {question}")).Append(",\n");
        style.Append("  \"base_prompt_template\": ").Append(Json.Str("Question: {question}\nAnswer:")).Append(",\n");
        style.Append("  \"base_rag_prompt_template\": ").Append(Json.Str("Documents:\n{documents}\nQuestion: {question}\nAnswer:")).Append('\n');
        style.Append("}\n");
        output.Write("house-style.json", style.ToString(), 1);
    }
}


/// <summary>Everyday chat (in the spirit of smoltalk's everyday-conversations): a greeting, a topic,
/// follow-up questions and a thank-you, assembled from a hand-written bank of 31 topics.</summary>
static class General
{
    const int TrainCount = 1500;
    const int ValidationCount = 100;

    sealed record Step(string[] Questions, string[] Answers);
    sealed record Topic(string Name, Step Opening, List<Step> FollowUps, string Goodbye);

    // Blocks separated by blank lines; "topic:", "open:", "answer:", "q:", "a:", "bye:". Alternatives split on '|'.
    const string Bank = """
topic: making tea
open: I want to make a really good cup of tea. Any tips?|How do I make a nice cup of tea?|What's the secret to a good cup of tea?
answer: Start with fresh cold water and bring it to the boil. Warm your mug or pot first, then use one tea bag or one teaspoon of leaves per cup. Let it steep for three to five minutes, and add milk or lemon at the end if you like.
q: How long should green tea steep?|What about green tea?
a: Green tea is more delicate. Let the boiled water cool for a minute or two, then steep it for only two to three minutes, or it can taste bitter.
q: Should I squeeze the tea bag?|Is it okay to squeeze the bag at the end?
a: It's better not to. Squeezing the bag releases extra tannins, which make the tea taste harsh. Just lift it out and let it drip for a second.
q: Can I make iced tea at home?|How do I make iced tea?
a: Yes, easily. Brew the tea twice as strong as usual, let it cool, then pour it over a glass full of ice. A slice of lemon or a few mint leaves is a nice touch.
bye: Enjoy your tea!

topic: starting to run
open: I'd like to start running but I get tired so fast. How should I begin?|I want to get into running. Where do I start?|How can a beginner start running?
answer: Start gently. Try a walk-run plan: jog for one minute, walk for two, and repeat that for twenty minutes, three times a week. Each week, run a little longer and walk a little less.
q: What should I wear?|Do I need special shoes?
a: Comfortable running shoes that fit well matter most. Add light clothes that don't rub, and a layer you can take off once you warm up.
q: Is it normal for my legs to hurt the next day?|My legs are sore after running. Is that okay?
a: Mild soreness is normal when you start, and it usually fades in a day or two. Sharp pain is different, so if something really hurts, rest and let it heal.
q: How can I stay motivated?|Any tips for sticking with it?
a: Pick regular times and put them in your calendar, track your runs, and set a small goal, like running for twenty minutes without stopping. Running with a friend helps a lot too.
bye: Have fun on your runs!

topic: houseplants
open: My houseplant's leaves are turning yellow. What am I doing wrong?|Why are the leaves on my plant going yellow?|I think my houseplant is unhappy. The leaves are yellow.
answer: Yellow leaves usually mean too much water. Check the soil with your finger: if the top few centimetres are still damp, wait before watering again. Also make sure the pot has a drainage hole.
q: How often should I water it?|How much water does a houseplant need?
a: Most houseplants like to be watered when the top of the soil is dry, which is often about once a week. In winter they need less, because they grow more slowly.
q: Does it need sunlight?|Where should I put it?
a: Most houseplants like bright light that isn't direct midday sun. A spot near a window with a thin curtain is often perfect.
q: Should I use fertiliser?|Do plants need plant food?
a: A little helps in spring and summer. Use a liquid houseplant fertiliser about once a month, and skip it in autumn and winter.
bye: I hope your plant perks up soon!

topic: cooking pasta
open: How do I cook pasta so it isn't sticky?|My pasta always turns out sticky. Any advice?|What's the best way to cook pasta?
answer: Use a big pot with plenty of water, bring it to a rolling boil, and add a good pinch of salt. Stir the pasta in the first minute so it doesn't stick, and cook it until it's tender but still has a little bite.
q: Should I add oil to the water?|Does oil in the water help?
a: It's not needed. Oil mostly floats on top and can stop the sauce from sticking to the pasta later. Stirring early works better.
q: How do I know when it's done?|How can I tell the pasta is ready?
a: Taste a piece a minute or two before the time on the packet. It should be soft but still slightly firm in the middle.
q: What's an easy sauce?|Can you suggest a quick sauce?
a: Fry some garlic in olive oil, add a tin of chopped tomatoes, a pinch of salt and some basil, and let it simmer for ten minutes. Toss it with the pasta and a little of the cooking water.
bye: Enjoy your dinner!

topic: sleeping better
open: I've been sleeping badly lately. Any suggestions?|How can I get better sleep?|I keep waking up tired. What can I do?
answer: Try to go to bed and get up at the same time every day, even on weekends. Keep your bedroom dark, quiet and cool, and put screens away about an hour before bed.
q: Does coffee affect sleep?|Is it bad to drink coffee in the afternoon?
a: It can. Caffeine stays in your body for many hours, so it's a good idea to have your last coffee or tea before early afternoon.
q: What if I can't fall asleep?|What should I do when I'm lying awake?
a: If you're still awake after about twenty minutes, get up and do something quiet in dim light, like reading, then go back to bed when you feel sleepy.
q: Are naps a good idea?|Should I nap during the day?
a: A short nap of twenty minutes or so can help, but long or late naps can make it harder to sleep at night.
bye: Sleep well tonight!

topic: saving money
open: I want to start saving money but I never seem to have any left. Help?|How can I save more money each month?|Do you have tips for saving money?
answer: Start by writing down what you spend for a month, so you can see where the money goes. Then set up an automatic transfer to a savings account on payday, even if it's a small amount.
q: How much should I save?|What's a good amount to put aside?
a: A common goal is about a tenth of what you earn, but any amount is a good start. What matters most is saving regularly.
q: How can I spend less on food?|Any tips for a cheaper food shop?
a: Plan your meals for the week, shop with a list, and cook larger batches so you have leftovers for lunch. Buying seasonal fruit and vegetables helps too.
q: What should I save for first?|What's the first thing to save for?
a: Many people start with a small emergency fund, enough to cover an unexpected bill, before saving for bigger goals.
bye: Good luck with your savings!

topic: packing for a trip
open: I'm going on a week-long trip and I always overpack. How do I pack light?|How do I pack for a week with just a small bag?|Any tips for packing light?
answer: Make a list first and lay everything out. Choose clothes in a few colours that all go together, so you can mix and match, and plan to wear your bulkiest shoes and jacket while travelling.
q: How many clothes should I bring?|How many outfits do I need for a week?
a: For a week, four or five tops and two pairs of trousers or skirts are usually enough, especially if you can wash a few things on the way.
q: What about toiletries?|How do I pack toiletries?
a: Use small travel bottles and only bring what you'll really use. Many things, like soap and shampoo, are easy to buy when you arrive.
q: What shouldn't I forget?|What do people usually forget to pack?
a: Chargers, a copy of your travel documents, any medicine you need, and a plug adapter if you're going abroad are the things people most often forget.
bye: Have a wonderful trip!

topic: gift ideas
open: My friend's birthday is next week and I have no idea what to get her. Any ideas?|I need a birthday present for a friend. Can you help?|What's a good gift for a friend's birthday?
answer: Think about what she enjoys. A book by an author she likes, a nice plant, a cooking class, or tickets to a concert or a film are all thoughtful choices.
q: What if I don't have much money?|Any ideas for a cheap gift?
a: A homemade gift can mean more than an expensive one. You could bake something, make a photo album of your time together, or write her a letter.
q: Is a gift card too impersonal?|What do you think about gift cards?
a: A gift card can be great if it's for a shop or cafe she loves. Add a handwritten card so it feels more personal.
q: How should I wrap it?|Any tips for wrapping?
a: Simple brown paper with a ribbon and a small sprig of greenery looks lovely, and it's cheap and easy to do.
bye: I hope she has a lovely birthday!

topic: learning a language
open: I want to learn Spanish. How should I start?|What's the best way to learn a new language?|I'm starting to learn a language. Any advice?
answer: Practise a little every day rather than a lot once a week. Start with the most common words and simple phrases, and listen to the language as much as you can, for example through songs or podcasts.
q: How long will it take?|How long until I can have a conversation?
a: It depends on how much you practise, but with daily study many people can hold a simple conversation after a few months.
q: Should I worry about grammar?|How important is grammar at the start?
a: Learn the basic patterns, but don't let grammar stop you from speaking. Making mistakes is part of learning, and people will still understand you.
q: How can I practise speaking?|I don't know anyone who speaks it. How do I practise?
a: You can find a language exchange partner online, talk to yourself while cooking, or read short texts out loud. Even describing your day in the new language helps.
bye: Good luck with your studies!

topic: reading more books
open: I used to read a lot but now I never find the time. How can I read more?|How can I get back into reading?|I want to read more books this year.
answer: Carry a book with you, and read in small gaps of the day, like on the bus or before bed. Even ten pages a day adds up to many books a year.
q: What if I get bored of a book?|Should I finish every book I start?
a: No, it's fine to stop. If a book isn't working for you after a few chapters, put it down and pick one you're excited about.
q: How do I choose what to read?|Can you help me pick books?
a: Think about books you loved in the past and look for similar ones. Asking friends or a librarian for recommendations works well too.
q: Are audiobooks cheating?|Do audiobooks count?
a: Not at all. Audiobooks are a great way to enjoy books while walking, cooking or travelling.
bye: Happy reading!

topic: a rainy weekend
open: It's going to rain all weekend. What can I do indoors?|Any ideas for a rainy day at home?|What's fun to do when it's raining?
answer: You could bake something new, start a puzzle, watch a film series, or invite friends over for a board game afternoon. A rainy day is also perfect for a long book and a hot drink.
q: Anything I can do that's productive?|What if I want to get something done?
a: Rainy days are great for small jobs you keep putting off, like sorting a cupboard, planning meals for the week, or fixing that loose button.
q: What about going out?|Is there anything to do outside the house?
a: Museums, libraries, swimming pools and cinemas are all good places to go when it's wet outside.
bye: Have a cosy weekend!

topic: walking a dog
open: I just adopted a dog. How often should I walk him?|How much exercise does a dog need?|My new dog has so much energy. How often should we go for walks?
answer: Most dogs need at least two walks a day, and many enjoy an hour or more of exercise in total. Young and working breeds usually need more.
q: He pulls on the lead a lot. What can I do?|How do I stop my dog pulling?
a: Stop walking whenever he pulls and only move on when the lead is loose again. Reward him with a treat when he walks nicely by your side. It takes patience, but it works.
q: Is it okay to walk him in hot weather?|What about walks on hot days?
a: On hot days, walk early in the morning or in the evening, and check the ground with your hand: if it's too hot for your hand, it's too hot for his paws.
q: How do I keep him busy indoors?|What can we do on days we can't go out?
a: Puzzle feeders, short training games and hide-and-seek with treats are great ways to tire out a dog indoors.
bye: Enjoy your walks together!

topic: a new cat
open: We're getting a cat next week. How do I prepare?|What do I need before bringing a cat home?|I'm adopting a cat. Any tips?
answer: Set up a quiet room with food, water, a litter tray and a bed, so your cat can settle in slowly. A scratching post and a few toys will also help.
q: How long will it take her to settle in?|When will she feel at home?
a: Some cats settle in a few days, others take a few weeks. Let her explore at her own pace and don't force contact.
q: What should I feed her?|What food is best for a cat?
a: Ask the shelter what she has been eating and keep to that at first. Change food slowly over a week if you want to switch.
q: When can she go outside?|Can I let her out?
a: It's best to keep her indoors for a few weeks so she learns that your home is her home.
bye: Enjoy your new friend!

topic: growing tomatoes
open: I want to grow tomatoes on my balcony. Is that possible?|Can I grow tomatoes in pots?|How do I grow tomatoes at home?
answer: Yes! Choose a sunny spot, a large pot with drainage holes, and good compost. Smaller varieties like cherry tomatoes do especially well in pots.
q: How often should I water them?|How much water do tomatoes need?
a: Tomatoes in pots are thirsty. Water them deeply when the top of the soil feels dry, which can be every day in hot weather.
q: Do they need support?|Should I tie them to something?
a: Most tomato plants need a cane or a stake. Tie the main stem loosely to it as the plant grows.
q: When can I pick them?|How do I know when they're ripe?
a: Pick them when they are fully coloured and feel slightly soft when you squeeze them gently.
bye: Happy gardening!

topic: cycling to work
open: I'm thinking of cycling to work. Is it a good idea?|I want to start biking to the office. Any advice?|Should I cycle to work?
answer: It can be a great idea: it's cheap, good exercise, and often faster than you'd think. Try the route on a weekend first so you know how long it takes.
q: What do I need?|What gear should I get?
a: A bike that fits you, a helmet, front and rear lights, and a good lock. Mudguards and a rain jacket help on wet days.
q: What if I arrive sweaty?|How do I avoid getting to work sweaty?
a: Ride at an easy pace, wear light layers, and keep a fresh shirt at work. Leaving a few minutes earlier helps you avoid rushing.
q: How do I stay safe in traffic?|Is it safe in traffic?
a: Ride where drivers can see you, signal clearly, and look for quieter streets or cycle paths even if the route is a bit longer.
bye: Enjoy the ride!

topic: drinking more water
open: I never drink enough water. How can I drink more?|Any tips for staying hydrated?|I always forget to drink water during the day.
answer: Keep a bottle on your desk and refill it a few times a day. Having a glass of water with every meal and when you wake up also helps build the habit.
q: What if I don't like plain water?|Plain water is boring. Any ideas?
a: Add slices of lemon, cucumber or a few berries, or try sparkling water. Herbal teas count too.
q: How much should I drink?|How much water is enough?
a: It depends on the person and the weather, but a good sign is that you rarely feel thirsty and your urine is pale.
bye: Cheers to that!

topic: a job interview
open: I have a job interview on Friday and I'm nervous. How can I prepare?|How do I get ready for a job interview?|Any tips for an interview?
answer: Read about the company, look closely at the job description, and think of two or three examples from your past work that show the skills they want. Practise answering out loud.
q: What should I wear?|What's the right outfit?
a: Dress a little smarter than people usually dress at that workplace. Clean, comfortable clothes that fit well are what matter.
q: What if they ask something I can't answer?|What if I don't know an answer?
a: It's fine to take a moment to think. You can also say honestly that you don't know, and explain how you would find out.
q: Should I ask them questions?|Do I need questions for the end?
a: Yes, prepare two or three. Asking about the team, the first few months in the role, or what success looks like shows real interest.
bye: Good luck on Friday!

topic: a picnic
open: I'm planning a picnic with friends this weekend. What should I bring?|What food is good for a picnic?|Can you help me plan a picnic?
answer: Bring food that's easy to eat with your hands: sandwiches, wraps, fruit, cheese and crackers, and something sweet like biscuits. Don't forget a blanket and plenty of water.
q: How do I keep the food cool?|How can I stop the food getting warm?
a: Use a cool bag with a few ice packs, and keep it in the shade. Frozen bottles of water work as ice packs and give you cold drinks later.
q: Any game ideas?|What can we play?
a: A frisbee, a ball, or a deck of cards are easy to carry and fun for everyone.
q: What if it rains?|What's the backup plan for rain?
a: Pick a park with a shelter nearby, or move the picnic indoors and spread the blanket on the living room floor.
bye: Have a lovely picnic!

topic: learning guitar
open: I just bought a guitar. How do I start learning?|I want to teach myself guitar. Where do I begin?|Any advice for a guitar beginner?
answer: Learn to tune it first, then start with a few easy chords like G, C, D and E minor. Practise switching between them slowly, and play a little every day.
q: My fingertips hurt. Is that normal?|Why do my fingers hurt when I play?
a: Yes, that's normal at the start. Your fingertips will toughen up after a couple of weeks of regular practice.
q: How long should I practise each day?|How much practice do I need?
a: Fifteen to thirty minutes a day is plenty at first. Short, regular practice beats one long session a week.
q: Should I learn to read music?|Do I need to read notes?
a: Not at first. Many guitarists start with chord charts and tabs, which are much quicker to learn.
bye: Have fun playing!

topic: taking photos with a phone
open: How can I take better photos with my phone?|My phone photos always look dull. Any tips?|Do you have tips for phone photography?
answer: Clean the lens, use natural light whenever you can, and tap the screen to focus on your subject. Try not to use the zoom, and move closer instead.
q: What about photos at night?|How do I take photos in the dark?
a: Hold the phone very still, or rest it on something, and use the night mode if your phone has one. Avoid the flash for portraits, since it makes faces look flat.
q: How do I make photos more interesting?|Any tips for composition?
a: Try placing your subject a little off-centre, look for lines that lead into the picture, and take photos from a lower or higher angle than usual.
bye: Happy snapping!

topic: staying warm in winter
open: My flat is always cold in winter. How can I stay warm without a huge heating bill?|How do I keep warm at home in winter?|Any tips for a cold house?
answer: Wear layers, close curtains at night to keep the heat in, and block draughts under doors with a rolled-up towel. A hot water bottle is a cheap way to stay warm in bed.
q: What should I wear outside?|How do I dress for cold weather?
a: Several thin layers work better than one thick one. Add a hat, gloves and warm socks, since you lose a lot of heat through your head, hands and feet.
q: Any warm food ideas?|What can I cook on a cold day?
a: Soups, stews and porridge are perfect on cold days. They are warming, cheap, and easy to make in large batches.
bye: Stay warm!

topic: writing a thank-you note
open: I want to write a thank-you note to my neighbour. What should I say?|How do I write a good thank-you note?|Can you help me write a thank-you card?
answer: Keep it short and specific. Say thank you, mention exactly what they did, and say how it helped you. For example: Thank you so much for watering my plants while I was away. It was such a relief to come home to happy plants!
q: Should it be handwritten?|Is an email okay?
a: A handwritten note feels more personal, but a kind email or message is better than nothing, especially if it's sent soon.
q: How should I end it?|What's a good way to sign off?
a: Something warm and simple works well, like With thanks or Warm wishes, followed by your name.
bye: I'm sure your neighbour will love it!

topic: organising a wardrobe
open: My wardrobe is a mess. How do I organise it?|How can I tidy my closet?|I can never find anything in my wardrobe.
answer: Take everything out and sort it into three piles: keep, donate, and repair. Then put back only what you wear, grouping things by type and colour.
q: How do I decide what to give away?|What should I get rid of?
a: If you haven't worn something in a year, or it doesn't fit or feel good, it's probably time to let it go.
q: How can I keep it tidy?|How do I stop it getting messy again?
a: Try a one in, one out rule: whenever you buy something new, give one old thing away. A quick tidy every Sunday helps too.
bye: Enjoy your tidy wardrobe!

topic: making a smoothie
open: What's a good recipe for a healthy smoothie?|How do I make a smoothie?|I just got a blender. What smoothie should I make?
answer: Blend one banana, a handful of frozen berries, a spoonful of yoghurt and a glass of milk or juice. Add a little honey if you like it sweeter.
q: Can I add vegetables?|Is it okay to put spinach in?
a: Yes, a handful of spinach is great. You can barely taste it when there's fruit in the smoothie.
q: How do I make it thicker?|My smoothie is too thin. What can I do?
a: Use frozen fruit, add more yoghurt, or blend in some oats. Adding less liquid helps too.
bye: Enjoy your smoothie!

topic: a board game night
open: I'm hosting a board game night. Which games are good for a group?|What games should I pick for game night?|Any ideas for a fun game night?
answer: Pick games that are quick to learn, like card games, word games or drawing games. They keep everyone involved, even people who don't play often.
q: How many games should I have ready?|How many games do I need?
a: Three or four is plenty: one quick warm-up game, one or two main games, and something light for the end.
q: What snacks should I serve?|What food is good for game night?
a: Snacks that aren't greasy or sticky are best, so the cards stay clean. Crackers, grapes, popcorn and small sandwiches work well.
bye: Have a great game night!

topic: visiting a museum
open: I'm visiting a big museum tomorrow. How do I make the most of it?|Any tips for a museum visit?|How should I plan a day at a museum?
answer: Look at the museum map before you go and choose two or three rooms you really want to see. Trying to see everything usually leaves you tired and rushed.
q: When is the best time to go?|When is it least busy?
a: Early on a weekday morning is usually the quietest time. Many museums are busiest on weekend afternoons.
q: Are audio guides worth it?|Should I get the audio guide?
a: They can be, especially for the main works. They tell you the stories behind things you might otherwise walk past.
bye: Enjoy the museum!

topic: stretching
open: I sit at a desk all day and my back feels stiff. Any stretches I can do?|What stretches help with sitting all day?|My shoulders are tight from working at a computer.
answer: Stand up every hour and move around. Gentle shoulder rolls, reaching your arms above your head, and slowly turning your upper body to each side can all help.
q: How long should I hold a stretch?|How long is one stretch?
a: Hold each stretch for about twenty to thirty seconds, breathe slowly, and never push into pain.
q: Is there anything I can change at my desk?|How should my desk be set up?
a: Put your screen at eye level, keep your feet flat on the floor, and let your elbows rest near your sides while you type.
bye: Take care of your back!

topic: cooking for the week
open: I want to cook for the whole week on Sunday. How do I start?|Can you help me with meal prep?|How does meal prepping work?
answer: Choose two or three simple recipes that keep well, like a curry, a pasta bake and a big salad. Cook them on Sunday and divide them into boxes for the week.
q: How long does the food keep?|How long can I keep it in the fridge?
a: Most cooked meals keep for three to four days in the fridge. Freeze the portions for later in the week.
q: How do I avoid getting bored?|Won't I get tired of eating the same thing?
a: Cook a simple base, like rice or roasted vegetables, and change the sauce or toppings each day.
bye: Enjoy your week of good food!

topic: choosing a film
open: I can't decide what film to watch tonight. Can you help?|Any ideas for a film tonight?|What should I watch this evening?
answer: What kind of mood are you in? A comedy is great if you want something light, a thriller if you want excitement, and an animated film is perfect for the whole family.
q: Something light, please.|I'd like something funny.
a: Then a comedy or a feel-good adventure is a good pick. Look for one with short running time and good reviews, and have some popcorn ready.
q: What if we can't agree?|My friends all want different things.
a: Let everyone suggest one film, then vote, or take turns choosing each week.
bye: Enjoy the film!

topic: taking the bus
open: I've never taken the bus in my city. How does it work?|How do I use the bus for the first time?|I'm nervous about taking the bus. Any tips?
answer: Look up your route on the city's transport website or app first. It tells you which bus to take, where the stop is, and when it leaves.
q: How do I pay?|Do I need a ticket before I get on?
a: It depends on the city. In many places you can tap a bank card or use a travel card, while in others you buy a ticket before boarding.
q: How do I know when to get off?|How will I know my stop?
a: Many buses show or announce the next stop. You can also follow the route on your phone and press the stop button when your stop is next.
bye: Have a good trip!

topic: keeping a journal
open: I want to start keeping a journal. What should I write about?|How do I start a diary?|Any tips for journaling?
answer: Start small: write three things that happened today and one thing you are grateful for. There are no rules, so write whatever feels useful to you.
q: When is the best time to write?|Should I write in the morning or evening?
a: Either works. Many people like the evening, to look back on the day, but morning pages can help you clear your head.
q: What if I miss a day?|I keep forgetting to write.
a: That's fine, just pick it up again. Keeping the journal next to your bed makes it easier to remember.
bye: Happy writing!
""";

    static readonly string[] Greetings = ["Hi!", "Hello!", "Hey there.", "Hi there!", "Hello there!", "Hey!"];
    static readonly string[] GreetingReplies = ["Hello! How can I help you today?", "Hi there! What can I do for you?", "Hey! What's on your mind today?", "Hello! What would you like to talk about?"];
    static readonly string[] HowAreYou = ["Hi, how are you?", "Hello, how's it going?", "Hey, how are you today?"];
    static readonly string[] HowAreYouReplies = ["I'm doing well, thanks for asking! How can I help you today?", "I'm good, thank you! What can I do for you?", "Doing great, thanks! What's on your mind?"];
    static readonly string[] Thanks = ["Thanks, that's really helpful!", "Thank you so much!", "Great, thanks!", "That helps a lot, thanks.", "Perfect, thank you!", "Thanks for the tips!"];
    static readonly string[] YoureWelcome = ["You're welcome!", "Happy to help!", "Glad I could help!", "Any time!"];

    static List<Topic> Parse()
    {
        var topics = new List<Topic>();
        foreach (var block in Bank.Replace("\r", "").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string name = "", bye = "";
            Step? opening = null;
            string[]? pending = null;
            string[] openQuestions = [];
            var steps = new List<Step>();
            foreach (var line in block.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = line.IndexOf(':');
                var key = line[..colon];
                var value = line[(colon + 1)..].Trim();
                switch (key)
                {
                    case "topic": name = value; break;
                    case "open": openQuestions = Text.Lines(value); break;
                    case "answer": opening = new Step(openQuestions, Text.Lines(value)); break;
                    case "q": pending = Text.Lines(value); break;
                    case "a": steps.Add(new Step(pending ?? throw new FormatException($"topic {name}: 'a:' without 'q:'"), Text.Lines(value))); pending = null; break;
                    case "bye": bye = value; break;
                    default: throw new FormatException($"topic {name}: unknown key '{key}'");
                }
            }
            topics.Add(new Topic(name, opening ?? throw new FormatException($"topic {name}: no opening"), steps, bye));
        }
        return topics;
    }

    static List<(string, string)> Conversation(Rng rng, List<Topic> topics)
    {
        var msgs = new List<(string, string)>();
        var topic = rng.Pick(topics);
        var greet = rng.Weighted([45, 20, 35]);
        if (greet == 0) { msgs.Add(("user", rng.Pick(Greetings))); msgs.Add(("assistant", rng.Pick(GreetingReplies))); }
        else if (greet == 1) { msgs.Add(("user", rng.Pick(HowAreYou))); msgs.Add(("assistant", rng.Pick(HowAreYouReplies))); }
        msgs.Add(("user", rng.Pick(topic.Opening.Questions)));
        msgs.Add(("assistant", rng.Pick(topic.Opening.Answers)));
        var followUps = rng.Sample(topic.FollowUps, Math.Min(topic.FollowUps.Count, rng.Weighted([25, 40, 25, 10])));
        foreach (var step in followUps)
        {
            msgs.Add(("user", rng.Pick(step.Questions)));
            msgs.Add(("assistant", rng.Pick(step.Answers)));
        }
        if (rng.Chance(0.6))
        {
            msgs.Add(("user", rng.Pick(Thanks)));
            msgs.Add(("assistant", rng.Pick(YoureWelcome) + " " + topic.Goodbye));
        }
        return msgs;
    }

    public static void Write(ulong seed, Output output)
    {
        var topics = Parse();
        var rng = new Rng(seed, "general/train");
        output.WriteJsonl("general/train.jsonl", Enumerable.Range(0, TrainCount)
            .Select(_ => Json.Obj(("messages", Json.Messages(Conversation(rng, topics))))).ToList());
        rng = new Rng(seed, "general/validation");
        output.WriteJsonl("general/validation.jsonl", Enumerable.Range(0, ValidationCount)
            .Select(_ => Json.Obj(("messages", Json.Messages(Conversation(rng, topics))))).ToList());
    }
}

/// <summary>The plain-text pretraining corpus: a different invented world (towns, makers, people,
/// animals, shops, books, festivals), told as encyclopedia entries, stories, dialogues, letters,
/// notices, recipes and how-tos, plus reading-comprehension and copying exercises whose answers are
/// copied from the text ("Question: ... Answer: ...", and multi-document prompts laid out like the
/// retrieval prompts of the evaluation). It never names Fernhollow or anything of Fernhollow's,
/// and never uses the house style.</summary>
static class Pretraining
{
    const int TrainBytes = 7_600_000;
    const int ValidationBytes = 400_000;

    public static void Write(World world, ulong seed, Output output)
    {
        foreach (var (path, bytes) in new[] { ("pretraining/train.txt", TrainBytes), ("pretraining/validation.txt", ValidationBytes) })
        {
            var docs = Documents(world, seed, path, bytes);
            output.Write(path, string.Join("\n\n", docs) + "\n", docs.Count);
        }
    }

    /// <summary>Documents from the given stream until about <paramref name="bytes"/> characters.</summary>
    public static List<string> Documents(World world, ulong seed, string stream, int bytes)
    {
        var corpus = new Corpus(new Rng(seed, stream), world.Reserved);
        var docs = new List<string>();
        long size = 0;
        while (size < bytes)
        {
            var d = corpus.Document();
            if (d.Contains("\n\n", StringComparison.Ordinal) || d.StartsWith('\n') || d.EndsWith('\n') || d.Contains(" \n", StringComparison.Ordinal))
                throw new InvalidOperationException($"{stream}: a corpus document has a blank line or stray whitespace:\n{d}");
            docs.Add(d);
            size += d.Length + 2;
        }
        var text = string.Join("\n\n", docs);
        foreach (var r in world.Reserved)
            if (text.Contains(r, StringComparison.Ordinal))
                throw new InvalidOperationException($"{stream}: the corpus mentions the reserved name '{r}'");
        return docs;
    }
}

sealed class Corpus(Rng rng, IReadOnlyList<string> reserved)
{
    static string[] W(string s) => Text.Words(s);
    static string[] L(string s) => Text.Lines(s);

    // ---- vocabulary ----
    static readonly string[] Women = W("Anna Lucy Maya Emma Sara Nora Ruth Alice Clara Ella Grace Hazel Iris Jane Kate Laura Molly Nina Olive Paula Rosa Ruby Sophie Tessa Vera Wendy Zoe Bella Daisy Edith Fiona Holly Ivy June Lena Mabel Nell Pippa Rita Stella Thea Violet Amy Beth Cara Dora Eva Freya Agnes Lily");
    static readonly string[] Men = W("Tom Ben Sam Jack Leo Max Noah Oliver Peter Ralph Simon Theo Victor Will Adam Carl Dan Eli Fred George Harry Ian Jim Ken Luke Mark Ned Owen Paul Rex Seth Ted Walter Alfie Billy Colin David Ernest Frank Gus Hugo Isaac Joe Kit Liam Martin Nick Otto Ray Arthur");
    static readonly string[] Family = W("Baker Carter Fisher Mason Porter Turner Walker Wright Cooper Hill Wood Green Hall Clark Lewis Young King Scott Moore Taylor Brown Miller Ward Hughes Price Bell Reed Shaw Stone Lane Cole Fox Grant Hart Lloyd Marsh Nash Page Rowe Snow Tate Webb West Ash Birch Brook Field Ford Gray Moss");
    static readonly string[] Jobs = L("baker|teacher|nurse|farmer|carpenter|painter|doctor|engineer|librarian|pilot|fisher|gardener|tailor|potter|cook|musician|writer|shopkeeper|mechanic|builder|bus driver|vet|dentist|scientist|photographer|postal worker|beekeeper|clockmaker|boat builder|shepherd|blacksmith|bookbinder|glass blower|map maker|weaver|miller|chemist|architect|translator|firefighter");
    static readonly string[] Hobbies = L("painting|fishing|gardening|playing chess|baking bread|playing the piano|watching birds|knitting|cycling|swimming|hiking|collecting stamps|woodwork|singing in a choir|running|taking photographs|sailing|making pottery|climbing|dancing|playing football|writing poems|cooking for friends|camping|reading old maps|growing roses|playing the violin|building model ships|flying kites|solving puzzles");
    static readonly string[] Foods = L("apple pie|vegetable soup|fresh bread|goat cheese|pancakes|rice with beans|noodles|fish stew|plum cake|roast potatoes|honey cake|porridge|lentil soup|tomato salad|roast chicken|berry jam|cheese omelettes|dumplings|cherry tart|oat biscuits|baked pears|mushroom pie|carrot cake|walnut bread|pea soup|potato pancakes|grilled fish|lemon cake|corn bread|cabbage rolls");
    static readonly string[] Fruits = L("apples|pears|plums|cherries|oranges|lemons|grapes|strawberries|raspberries|peaches|apricots|figs|melons|blueberries");
    static readonly string[] Vegetables = L("carrots|potatoes|onions|leeks|beans|peas|cabbages|tomatoes|mushrooms|beetroots|turnips|pumpkins|spinach|radishes");
    static readonly string[] Animals = L("dog|cat|horse|goat|rabbit|hen|duck|parrot|tortoise|hamster|owl|fox|deer|hedgehog|squirrel|frog|sparrow|crow|goose|sheep|cow|pig|donkey|mouse|badger|otter|heron|swan|pony|canary");
    static readonly string[] Pets = L("dog|cat|rabbit|parrot|tortoise|hamster|canary|pony|goat|duck");
    static readonly string[] PetNames = W("Biscuit Pepper Shadow Pip Rusty Sunny Pebble Button Ziggy Clover Maple Socks Tiger Snowy Patch Honey Mocha Dusty Noodle Fudge Bean Scout Smokey Ginger Lucky Tilly Crumble Domino Pickle Toffee");
    static readonly string[] Places = L("the market|the library|the bakery|the harbour|the park|the station|the school|the post office|the river bank|the old bridge|the town square|the museum|the hill above the town|the forest path|the beach|the garden|the farm|the cafe|the lake|the orchard|the old mill|the bus stop|the playground|the town hall|the fish market");
    static readonly string[] Objects = L("key|umbrella|hat|scarf|book|letter|lamp|cup|spoon|basket|bag|glove|watch|ring|map|ticket|coat|boot|pencil|notebook|clock|kettle|blanket|pillow|box|bottle|jar|candle|ladder|kite|ball|shell|feather|coin|compass|wallet|camera|brush|necklace|photograph");
    static readonly string[] Furniture = L("bed|sofa|table|desk|cupboard|chair|shelf|bench|stairs|door");
    static readonly string[] FoundPlaces = L("under a pile of leaves|next to a bench in the park|in the pocket of an old coat|on a shelf in the kitchen|behind a flower pot|in the basket of a bicycle|under the doormat|between two books|in the grass by the gate|on the windowsill");
    static readonly string[] Colours = L("red|blue|green|yellow|orange|purple|pink|brown|black|white|grey|silver|gold|dark blue|light green|cream|navy blue|deep red|pale yellow|teal");
    static readonly string[] Adjectives = W("small big old new bright quiet busy warm cold soft heavy light tall short happy tired brave kind clever shy curious careful gentle noisy strange lovely tiny huge round sharp smooth dusty shiny fresh sweet wooden friendly lucky calm proud sleepy cheerful patient");
    static readonly string[] People = L("kind|friendly|cheerful|patient|busy|clever|quiet|curious|careful|brave");
    static readonly string[] Weather = W("sunny rainy windy foggy snowy cloudy stormy warm cold clear");
    static readonly string[] Feelings = W("happy worried excited tired proud nervous calm surprised glad curious relieved");
    static readonly string[] TimePhrases = L("one morning|early one Saturday|on a grey afternoon|late in the evening|one spring day|in the middle of winter|on the first day of summer|one autumn night|on a quiet Sunday|just after breakfast");
    static readonly string[] Features = L("stone bridge|apple orchards|clock tower|summer fair|wooden boats|cheese market|old mill|sandy beach|lighthouse|rose gardens|glass makers|horse races|music festival|castle ruins|hot springs|blue pottery|pine forests|painted houses|long harbour wall|flower market");
    static readonly string[] Directions = L("north|south|east|west|north-east|south-west|hills|lowlands");
    static readonly string[] TownSuffixes = W("ford by ton dale field stead ham bury mouth well");
    static readonly string[] StreetNames = W("Oak Elm Station High Market Church Bridge River Park Castle Meadow Hill Garden Pine Maple Rose Spring Bell Lark Swan Fox Dove Ivy Holly");
    static readonly string[] StreetTypes = W("Street Road Lane Way Avenue");
    // shop type: what it is known for
    static readonly (string Type, string[] Known)[] Shops = L(
        "bakery: rye bread, cinnamon buns, lemon tarts|bookshop: old maps, poetry books, children's books|cafe: hot chocolate, carrot cake, big breakfasts|" +
        "hardware shop: garden tools, friendly advice|flower shop: spring flowers, dried roses|bicycle shop: bicycle repairs, second-hand bicycles|" +
        "toy shop: wooden toys, kites|cheese shop: goat cheese, blue cheese|music shop: second-hand guitars, old records|tea room: mint tea, scones|" +
        "fish shop: smoked fish, fresh oysters|shoe shop: walking boots, shoe repairs")
        .Select(x => (x[..x.IndexOf(':')], x[(x.IndexOf(':') + 1)..].Split(',', StringSplitOptions.TrimEntries))).ToArray();
    static readonly string[] ShopTypes = Shops.Select(x => x.Type).ToArray();
    static readonly string[] Specialities = Shops.SelectMany(x => x.Known).ToArray();
    static readonly string[] CompanyKinds = L("Works|Company|Tools|Goods|Crafts|Brothers|Instruments");
    static readonly string[] Currencies = L("EUR|EUR|EUR|dollars|crowns|pounds");
    static readonly string[] AnimalClasses = L("bird|fish|frog|beetle|lizard|butterfly|mouse|snail|moth|bat");
    static readonly string[] Habitats = L("pine forests|marshes|mountain lakes|sandy beaches|old gardens|river banks|dry grassland|high meadows|caves|rocky coasts");
    static readonly string[] AnimalFoods = L("seeds|small insects|leaves|berries|worms|water plants|nuts|flower nectar|tiny fish|moss");
    static readonly string[] BookNouns = W("Garden Lighthouse River Winter Clock Map Lantern Island Orchard Journey Harbour Bridge Mountain Letter Kitchen Forest Window Violin Compass Storm");
    static readonly string[] BookTopics = L("a girl who learns to sail|the history of a small harbour|a family of bakers|a long walk across the mountains|the life of a clockmaker|a lost dog that finds its way home|two friends who build a boat|a year in a village school|a map that leads to an old mine|a storm that changes a town");
    static readonly string[] FestivalNouns = W("Apple Lantern Kite Music Bread River Winter Harvest Flower Boat Cheese Honey");
    static readonly string[] FestivalEvents = L("a parade of lanterns|a boat race|a baking contest|a concert in the square|a kite flying contest|a long table dinner|a cheese tasting|a dance by the river|a flower show|fireworks over the harbour");
    static readonly string[] Skills = L("swim|ride a bicycle|play the flute|bake bread|knit a scarf|sail a small boat|paint with watercolours|speak a new language|juggle|play chess");
    static readonly string[] BuildThings = L("tree house|bird house|small raft|garden bench|kite|wooden cart|rabbit hutch|bookshelf");
    static readonly string[] Relatives = L("grandmother|grandfather|aunt|uncle|cousin|older sister|older brother");
    static readonly string[] Reasons = L("repairs to the roof|a staff training day|the spring cleaning|a power cut|the town festival|new paint on the walls|a water leak");
    static readonly string[] Gifts = L("the warm scarf|the book about birds|the jar of honey|the lovely postcard|the packet of seeds|the photograph of the harbour|the blue cup|the birthday card");

    sealed record Gadget(string Noun, string Use, string Spec, Func<Rng, string> SpecValue);
    static readonly Gadget[] Gadgets =
    [
        new("lantern", "camping and power cuts", "battery life", r => $"{r.Range(5, 60)} hours"),
        new("toaster", "quick breakfasts", "power", r => $"{r.Range(6, 16) * 100} watts"),
        new("radio", "news and music", "battery life", r => $"{r.Range(10, 80)} hours"),
        new("umbrella", "rainy days", "length", r => $"{r.Range(50, 110)} cm"),
        new("alarm clock", "early mornings", "battery life", r => $"{r.Range(6, 24)} months"),
        new("teapot", "afternoon tea", "capacity", r => $"{r.Range(4, 15) * 100} ml"),
        new("blender", "soups and smoothies", "power", r => $"{r.Range(3, 12) * 100} watts"),
        new("desk fan", "hot summer days", "power", r => $"{r.Range(2, 8) * 10} watts"),
        new("camera", "holiday photographs", "battery life", r => $"{r.Range(200, 900)} photos"),
        new("kite", "windy beaches", "length", r => $"{r.Range(60, 200)} cm"),
        new("sewing machine", "mending clothes", "power", r => $"{r.Range(6, 12) * 10} watts"),
        new("telescope", "looking at the stars", "length", r => $"{r.Range(40, 120)} cm"),
        new("wristwatch", "keeping time", "battery life", r => $"{r.Range(1, 5)} years"),
        new("hair dryer", "busy mornings", "power", r => $"{r.Range(10, 24) * 100} watts"),
        new("lunch box", "school and work", "capacity", r => $"{r.Range(5, 20) * 100} ml"),
        new("garden hose", "watering the garden", "length", r => $"{r.Range(10, 50)} metres"),
        new("wheelbarrow", "garden work", "capacity", r => $"{r.Range(6, 12) * 10} litres"),
        new("fishing rod", "quiet days by the lake", "length", r => $"{r.Range(18, 40) * 10} cm"),
        new("kitchen scale", "baking", "maximum load", r => $"{r.Range(2, 10)} kg"),
        new("rice cooker", "simple dinners", "capacity", r => $"{r.Range(6, 20) * 100} ml"),
        new("coffee grinder", "fresh coffee", "power", r => $"{r.Range(10, 30) * 10} watts"),
        new("bicycle", "getting around town", "weight limit", r => $"{r.Range(9, 15) * 10} kg"),
        new("tent", "weekends in the hills", "length", r => $"{r.Range(18, 30) * 10} cm"),
        new("backpack", "long walks", "capacity", r => $"{r.Range(15, 70)} litres"),
        new("headlamp", "walking at night", "battery life", r => $"{r.Range(4, 40)} hours"),
        new("flask", "hot soup on cold days", "capacity", r => $"{r.Range(3, 10) * 100} ml"),
        new("table lamp", "reading in bed", "power", r => $"{r.Range(4, 15)} watts"),
        new("water filter", "clean drinking water", "capacity", r => $"{r.Range(10, 40) * 100} ml"),
    ];

    // ---- names of the corpus world (checked against Fernhollow's names) ----
    static readonly string[] Onsets = W("b br c d dr f g gr h j k l m n p pr r s st t tr v w z");
    static readonly string[] Vowels = W("a e i o u a e o");
    static readonly string[] Mids = W("l n r d v m s th b nd ll");
    static readonly string[] Codas = ["", "", "", "n", "r", "l", "s", "th", "m", "k"];

    readonly string[] _reservedWords = reserved.Where(r => !r.Contains(' ')).ToArray();

    string Coin()
    {
        while (true)
        {
            var s = Text.Cap(rng.Pick(Onsets) + rng.Pick(Vowels) + rng.Pick(Mids) + rng.Pick(Vowels) + rng.Pick(Codas));
            if (!_reservedWords.Any(r => r.Contains(s, StringComparison.OrdinalIgnoreCase) || s.Contains(r, StringComparison.OrdinalIgnoreCase))) return s;
        }
    }

    string TownName() => Coin() + rng.Pick(TownSuffixes);
    string LandName()
    {
        var stem = Coin();
        var suffix = rng.Pick(new[] { "ia", "land", "ar", "a" });
        return "aeiou".Contains(stem[^1]) && "aeiou".Contains(suffix[0]) ? stem + "land" : stem + suffix;
    }

    sealed record Person(string First, string Last, bool Woman)
    {
        public string Name => First + " " + Last;
        public string Sub => Woman ? "she" : "he";
        public string Obj => Woman ? "her" : "him";
        public string Pos => Woman ? "her" : "his";
    }

    Person NewPerson()
    {
        var woman = rng.Chance(0.5);
        return new Person(rng.Pick(woman ? Women : Men), rng.Pick(Family), woman);
    }

    string Price(int lo, int hi) => $"{rng.Range(lo, hi)} {rng.Pick(Currencies)}";
    string Date() => $"{rng.Pick(Text.Months)} {rng.Range(1950, 2023)}";
    string Hours() => $"{rng.Range(6, 10)}:{rng.Pick(new[] { "00", "30" })} to {rng.Range(16, 21)}:{rng.Pick(new[] { "00", "30" })}";
    string Phone()
    {
        var mid = rng.Range(100, 999);
        if (mid == 555) mid = 556;
        return $"0{rng.Range(10, 99)} {mid} {rng.Range(1000, 9999)}";
    }
    string Address() => $"{rng.Range(1, 120)} {rng.Pick(StreetNames)} {rng.Pick(StreetTypes)}";

    // ---- entities: a paragraph plus questions whose answers are spans of it ----
    sealed record Fact(string Question, string Answer);
    sealed record Ent(string Id, string Title, string Body, List<Fact> Facts);

    string Pick(params string[] xs) => rng.Pick(xs);

    string Join(string first, List<string> rest, int keep)
    {
        rng.Shuffle(rest);
        return string.Join(" ", new[] { first }.Concat(rest.Take(keep)));
    }

    /// <summary>Keeps only the facts whose answer survived in the paragraph.</summary>
    static Ent Make(string id, string title, string body, List<Fact> facts) =>
        new(id, title, body, facts.Where(f => body.Contains(f.Answer, StringComparison.Ordinal)).ToList());

    Ent Town()
    {
        var t = TownName();
        var land = LandName();
        var pop = rng.Range(8, 900) * 100;
        var river = Coin();
        var feature = rng.Pick(Features);
        var day = rng.Pick(Text.Days);
        var mayor = NewPerson().Name;
        var founded = rng.Range(1100, 1900);
        var city = TownName();
        var km = rng.Range(5, 90);
        var rest = new List<string>
        {
            Pick($"About {pop} people live in {t}.", $"{t} has a population of about {pop}."),
            Pick($"The town lies on the river {river}.", $"The river {river} runs through {t}."),
            Pick($"{t} is known for its {feature}.", $"Visitors come to {t} for its {feature}."),
            Pick($"A market is held in {t} every {day}.", $"The weekly market in {t} takes place on {day}."),
            $"The mayor of {t} is {mayor}.",
            Pick($"{t} was founded in {founded}.", $"The first houses of {t} were built in {founded}."),
            $"The nearest city is {city}, {km} kilometres away.",
        };
        var body = Join($"{t} is {Text.A(Pick("small", "quiet", "busy", "old", "large"))} town in the {rng.Pick(Directions)} of {land}.", rest, rng.Range(4, 7));
        return Make("town-" + Text.Slug(t), t, body,
        [
            new(Pick($"How many people live in {t}?", $"What is the population of {t}?"), pop.ToString(CultureInfo.InvariantCulture)),
            new(Pick($"Which river runs through {t}?", $"On which river does {t} lie?"), river),
            new(Pick($"What is {t} known for?", $"Why do visitors come to {t}?"), feature),
            new(Pick($"On which day is the market held in {t}?", $"When is the weekly market in {t}?"), day),
            new(Pick($"Who is the mayor of {t}?", $"Who is {t}'s mayor?"), mayor),
            new(Pick($"When was {t} founded?", $"In which year was {t} founded?"), founded.ToString(CultureInfo.InvariantCulture)),
            new(Pick($"What is the nearest city to {t}?", $"Which city is closest to {t}?"), city),
            new($"How far is {city} from {t}?", $"{km} kilometres"),
            new($"In which country is {t}?", land),
        ]);
    }

    Ent Item()
    {
        var g = rng.Pick(Gadgets);
        var maker = Coin() + " " + rng.Pick(CompanyKinds);
        var name = Coin() + " " + g.Noun;
        var price = Price(5, 400);
        var weight = rng.Chance(0.5) ? $"{rng.Range(5, 99) * 10} g" : $"{rng.Range(1, 9)}.{rng.Range(0, 9)} kg";
        var colour = rng.Pick(Colours);
        var date = Date();
        var warranty = Text.Plural(rng.Range(1, 6), "year", "years");
        var designer = NewPerson().Name;
        var spec = g.SpecValue(rng);
        var rest = new List<string>
        {
            Pick($"It costs {price}.", $"The {name} is sold for {price}.", $"The price of the {name} is {price}."),
            Pick($"It weighs {weight}.", $"The {name} weighs {weight}."),
            Pick($"It comes in {colour}.", $"You can buy the {name} in {colour}."),
            Pick($"It was first sold in {date}.", $"{maker} launched it in {date}."),
            Pick($"It has a warranty of {warranty}.", $"The warranty on the {name} is {warranty}."),
            Pick($"It was designed by {designer}.", $"{designer} designed the {name}."),
            Pick($"Its {g.Spec} is {spec}.", $"The {g.Spec} of the {name} is {spec}."),
        };
        var body = Join(Pick($"The {name} is {Text.A(g.Noun)} made by {maker} for {g.Use}.", $"{maker} makes the {name}, {Text.A(g.Noun)} for {g.Use}."), rest, rng.Range(4, 7));
        return Make("item-" + Text.Slug(name), name, body,
        [
            new(Pick($"How much does the {name} cost?", $"What is the price of the {name}?", $"What does the {name} cost?"), price),
            new(Pick($"How much does the {name} weigh?", $"How heavy is the {name}?"), weight),
            new(Pick($"What colour is the {name}?", $"Which colour does the {name} come in?"), colour),
            new(Pick($"When was the {name} first sold?", $"When was the {name} launched?"), date),
            new(Pick($"How long is the warranty on the {name}?", $"What warranty does the {name} have?"), warranty),
            new(Pick($"Who designed the {name}?", $"Who is the designer of the {name}?"), designer),
            new(Pick($"What is the {g.Spec} of the {name}?", $"What {g.Spec} does the {name} have?"), spec),
            new(Pick($"Who makes the {name}?", $"Which company makes the {name}?"), maker),
        ]);
    }

    Ent Bio()
    {
        var p = NewPerson();
        var job = rng.Pick(Jobs);
        var from = TownName();
        var born = rng.Range(1930, 2005);
        var work = Coin() + " " + rng.Pick(CompanyKinds);
        var hobby = rng.Pick(Hobbies);
        var pet = rng.Pick(Pets);
        var petName = rng.Pick(PetNames);
        var food = rng.Pick(Foods);
        var rest = new List<string>
        {
            $"{p.First} was born in {born}.",
            Pick($"{Text.Cap(p.Sub)} works at {work}.", $"Today {p.First} works at {work}."),
            Pick($"In {p.Pos} free time, {p.First} enjoys {hobby}.", $"{p.First} loves {hobby}."),
            $"{p.First} has {Text.A(pet)} called {petName}.",
            $"{Text.Cap(p.Pos)} favourite food is {food}.",
        };
        var body = Join($"{p.Name} is {Text.A(job)} from {from}.", rest, rng.Range(3, 5));
        return Make("person-" + Text.Slug(p.Name), p.Name, body,
        [
            new(Pick($"What does {p.Name} do?", $"What is the job of {p.Name}?", $"What is {p.Name}'s job?"), job),
            new(Pick($"Where is {p.Name} from?", $"Which town is {p.Name} from?"), from),
            new(Pick($"When was {p.Name} born?", $"In which year was {p.Name} born?"), born.ToString(CultureInfo.InvariantCulture)),
            new(Pick($"Where does {p.Name} work?", $"Which company does {p.Name} work for?"), work),
            new(Pick($"What does {p.Name} enjoy?", $"What is the hobby of {p.Name}?"), hobby),
            new($"What is the name of {p.Name}'s {pet}?", petName),
            new(Pick($"What is {p.Name}'s favourite food?", $"Which food does {p.Name} like best?"), food),
        ]);
    }

    Ent Animal()
    {
        var kind = rng.Pick(AnimalClasses);
        var colour = rng.Pick(Colours);
        var name = $"{Pick("spotted", "striped", "little", "common", "great", "lesser", "mountain", "river")} {Coin().ToLowerInvariant()}";
        var habitat = rng.Pick(Habitats);
        var food = rng.Pick(AnimalFoods);
        var length = $"{rng.Range(1, 40)} cm";
        var life = Text.Plural(rng.Range(1, 15), "year", "years");
        var land = LandName();
        var active = Pick("at night", "in the early morning", "during the day", "at dusk");
        var rest = new List<string>
        {
            Pick($"It lives in {habitat}.", $"The {name} makes its home in {habitat}."),
            Pick($"It eats {food}.", $"The {name} feeds on {food}."),
            Pick($"It grows to about {length} long.", $"An adult {name} is about {length} long."),
            Pick($"Its colour is mostly {colour}.", $"The {name} is mostly {colour}."),
            Pick($"It can live for {life}.", $"A {name} lives for about {life}."),
            $"The {name} is most active {active}.",
        };
        var body = Join($"The {name} is a small {kind} found in {land}.", rest, rng.Range(4, 6));
        return Make("animal-" + Text.Slug(name), Text.Cap(name), body,
        [
            new(Pick($"What kind of animal is the {name}?", $"Is the {name} a bird, a fish or something else?"), kind),
            new(Pick($"Where does the {name} live?", $"What is the habitat of the {name}?"), habitat),
            new(Pick($"What does the {name} eat?", $"What is the food of the {name}?"), food),
            new(Pick($"How long is the {name}?", $"How big does the {name} grow?"), length),
            new(Pick($"What colour is the {name}?", $"What is the colour of the {name}?"), colour),
            new(Pick($"How long does the {name} live?", $"What is the lifespan of the {name}?"), life),
            new($"When is the {name} most active?", active),
            new($"In which country is the {name} found?", land),
        ]);
    }

    Ent Shop()
    {
        var owner = NewPerson();
        var (type, known) = rng.Pick(Shops);
        var name = rng.Chance(0.5) ? $"{owner.First}'s {Text.Cap(type)}" : $"The {Text.Cap(rng.Pick(Adjectives))} {rng.Pick(BookNouns)}";
        var town = TownName();
        var address = Address();
        var hours = Hours();
        var closed = rng.Pick(Text.Days);
        var special = rng.Pick(known);
        var phone = Phone();
        var rest = new List<string>
        {
            Pick($"It is at {address}.", $"You can find it at {address}."),
            Pick($"It is open from {hours}.", $"{name} opens from {hours}."),
            Pick($"It is closed on {closed}.", $"On {closed} {name} is closed."),
            Pick($"The owner is {owner.Name}.", $"{owner.Name} owns {name}."),
            Pick($"It is known for its {special}.", $"People come to {name} for its {special}."),
            Pick($"Its phone number is {phone}.", $"The phone number of {name} is {phone}."),
        };
        var body = Join($"{name} is {Text.A(type)} in {town}.", rest, rng.Range(4, 6));
        return Make("shop-" + Text.Slug(name + " " + town), name, body,
        [
            new(Pick($"Where is {name}?", $"What is the address of {name}?"), address),
            new(Pick($"When is {name} open?", $"What are the opening hours of {name}?"), hours),
            new(Pick($"On which day is {name} closed?", $"When is {name} closed?"), closed),
            new(Pick($"Who owns {name}?", $"Who is the owner of {name}?"), owner.Name),
            new(Pick($"What is {name} known for?", $"Why do people go to {name}?"), special),
            new(Pick($"What is the phone number of {name}?", $"How can I call {name}?"), phone),
            new($"In which town is {name}?", town),
        ]);
    }

    Ent Book()
    {
        var title = $"The {Text.Cap(rng.Pick(Adjectives))} {rng.Pick(BookNouns)}";
        var author = NewPerson().Name;
        var year = rng.Range(1890, 2023);
        var pages = rng.Range(90, 600);
        var topic = rng.Pick(BookTopics);
        var publisher = Coin() + " Books";
        var rest = new List<string>
        {
            Pick($"It was written by {author}.", $"{author} wrote it."),
            Pick($"It came out in {year}.", $"It was first published in {year}."),
            $"It has {pages} pages.",
            Pick($"It is about {topic}.", $"The story is about {topic}."),
            $"It was published by {publisher}.",
        };
        var body = Join($"{title} is a {Pick("novel", "book", "short novel", "children's book")}.", rest, rng.Range(3, 5));
        return Make("book-" + Text.Slug(title + " " + author), title, body,
        [
            new(Pick($"Who wrote {title}?", $"Who is the author of {title}?"), author),
            new(Pick($"When did {title} come out?", $"In which year was {title} published?"), year.ToString(CultureInfo.InvariantCulture)),
            new($"How many pages does {title} have?", $"{pages} pages"),
            new(Pick($"What is {title} about?", $"What is the story of {title}?"), topic),
            new($"Who published {title}?", publisher),
        ]);
    }

    Ent Festival()
    {
        var town = TownName();
        var name = $"{town} {rng.Pick(FestivalNouns)} Festival";
        var month = rng.Pick(Text.Months);
        var days = Text.Plural(rng.Range(1, 7), "day", "days");
        var visitors = rng.Range(5, 300) * 100;
        var ticket = Price(2, 40);
        var main = rng.Pick(FestivalEvents);
        var since = rng.Range(1850, 2015);
        var rest = new List<string>
        {
            Pick($"It takes place every year in {month}.", $"The festival is held each {month}."),
            Pick($"It lasts {days}.", $"The festival lasts {days}."),
            $"About {visitors} visitors come each year.",
            Pick($"A ticket costs {ticket}.", $"Tickets cost {ticket}."),
            Pick($"The highlight is {main}.", $"Most people come for {main}."),
            $"The first {name} was held in {since}.",
        };
        var body = Join($"The {name} is a festival in the town of {town}.", rest, rng.Range(4, 6));
        return Make("event-" + Text.Slug(name), name, body,
        [
            new(Pick($"When does the {name} take place?", $"In which month is the {name}?"), month),
            new(Pick($"How long does the {name} last?", $"How many days is the {name}?"), days),
            new($"How many visitors come to the {name}?", visitors.ToString(CultureInfo.InvariantCulture)),
            new(Pick($"How much is a ticket for the {name}?", $"What does a ticket for the {name} cost?"), ticket),
            new(Pick($"What is the highlight of the {name}?", $"Why do people come to the {name}?"), main),
            new($"When was the first {name}?", since.ToString(CultureInfo.InvariantCulture)),
        ]);
    }

    Ent Entity() => rng.Weighted([3, 4, 3, 2, 3, 2, 2]) switch
    {
        0 => Town(),
        1 => Item(),
        2 => Bio(),
        3 => Animal(),
        4 => Shop(),
        5 => Book(),
        _ => Festival(),
    };

    // ---- document kinds ----
    public string Document() => rng.Weighted([22, 14, 12, 7, 18, 11, 8, 5, 3]) switch
    {
        0 => Entity().Body,
        1 => Comprehension(),
        2 => MultiDocument(),
        3 => Lookup(),
        4 => Story(),
        5 => Dialogue(),
        6 => Note(),
        7 => rng.Chance(0.5) ? Recipe() : HowTo(),
        _ => Basics(),
    };

    string Comprehension()
    {
        var e = Entity();
        var facts = rng.Sample(e.Facts, Math.Min(e.Facts.Count, rng.Range(1, 4)));
        var sb = new StringBuilder();
        switch (rng.Int(4))
        {
            case 0:
                sb.Append(e.Body);
                foreach (var f in facts) sb.Append("\nQuestion: ").Append(f.Question).Append("\nAnswer: ").Append(f.Answer);
                break;
            case 1:
                sb.Append("Read the text and answer the questions.\n").Append(e.Body);
                foreach (var f in facts) sb.Append("\nQ: ").Append(f.Question).Append("\nA: ").Append(f.Answer);
                break;
            case 2:
                sb.Append(e.Title).Append('\n').Append(e.Body);
                foreach (var f in facts) sb.Append('\n').Append(f.Question).Append(' ').Append(f.Answer).Append('.');
                break;
            default:
                sb.Append("Text: ").Append(e.Body);
                foreach (var f in facts) sb.Append("\nQuestion: ").Append(f.Question).Append("\nAnswer: ").Append(f.Answer);
                break;
        }
        return sb.ToString();
    }

    /// <summary>Several documents, then questions answered from one of them: the retrieval prompt layout.</summary>
    string MultiDocument()
    {
        var n = rng.Range(2, 4);
        var first = Entity();
        var ents = new List<Ent> { first };
        while (ents.Count < n)
        {
            var e = Entity();
            if (ents.All(x => x.Id != e.Id)) ents.Add(e);
        }
        rng.Shuffle(ents);
        var sb = new StringBuilder("Documents:");
        foreach (var e in ents) sb.Append("\n[").Append(e.Id).Append("] ").Append(e.Title).Append(": ").Append(e.Body);
        var facts = ents.SelectMany(e => e.Facts).ToList();
        foreach (var f in rng.Sample(facts, Math.Min(facts.Count, rng.Range(1, 2))))
            sb.Append("\nQuestion: ").Append(f.Question).Append("\nAnswer: ").Append(f.Answer);
        return sb.ToString();
    }

    /// <summary>Tables, records, lists and codes to look up or copy: plain in-context copying.</summary>
    string Lookup()
    {
        switch (rng.Int(6))
        {
            case 0:
            {
                var p = NewPerson();
                var rows = new List<(string Key, string Value)>
                {
                    ("Name", p.Name), ("Age", Json.Int(rng.Range(8, 90))), ("Town", TownName()), ("Job", rng.Pick(Jobs)),
                    ("Pet", rng.Pick(Pets)), ("Favourite colour", rng.Pick(Colours)), ("Phone", Phone()),
                };
                var shown = rows.Take(1).Concat(rng.Sample(rows.Skip(1).ToList(), rng.Range(3, 6))).ToList();
                var ask = rng.Pick(shown.Skip(1).ToList());
                return string.Join("\n", shown.Select(r => $"{r.Key}: {r.Value}")) +
                       $"\nQuestion: What is the {ask.Key.ToLowerInvariant()} of {p.Name}?\nAnswer: {ask.Value}";
            }
            case 1:
            {
                var town = TownName();
                var stops = Enumerable.Range(0, rng.Range(3, 6)).Select(_ => TownName()).Distinct().ToList();
                var times = stops.Select(_ => $"{rng.Range(6, 22)}:{rng.Range(0, 11) * 5:D2}").ToList();
                var i = rng.Int(stops.Count);
                var vehicle = Pick("bus", "train", "ferry");
                return $"{Text.Cap(vehicle)} times from {town}:\n" + string.Join("\n", stops.Select((s, k) => $"to {s} at {times[k]}")) +
                       $"\nQuestion: When does the {vehicle} to {stops[i]} leave {town}?\nAnswer: {times[i]}";
            }
            case 2:
            {
                var shop = $"{rng.Pick(Women.Concat(Men).ToList())}'s market stall";
                var goods = rng.Sample(Fruits.Concat(Vegetables).ToList(), rng.Range(3, 6));
                var currency = rng.Pick(Currencies);
                var prices = goods.Select(_ => $"{rng.Range(1, 9)}.{rng.Range(0, 9)}0 {currency}").ToList();
                var i = rng.Int(goods.Count);
                return $"Price list at {shop}:\n" + string.Join("\n", goods.Select((g, k) => $"{g}: {prices[k]} a kilo")) +
                       $"\nQuestion: How much do {goods[i]} cost at {shop}?\nAnswer: {prices[i]} a kilo";
            }
            case 3:
            {
                var words = rng.Sample(Objects.Concat(Animals).Concat(Colours).ToList(), rng.Range(3, 7));
                var list = string.Join(" ", words);
                return rng.Int(3) switch
                {
                    0 => $"Repeat the words: {list}.\n{list}.",
                    1 => $"Say these words again: {list}.\nAgain: {list}.",
                    _ => $"List: {string.Join(", ", words)}.\nThe same list backwards: {string.Join(", ", Enumerable.Reverse(words))}.",
                };
            }
            case 4:
            {
                var code = new string(Enumerable.Range(0, rng.Range(4, 8)).Select(_ => "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[rng.Int(32)]).ToArray());
                var p = NewPerson();
                return Pick(
                    $"The code for the {rng.Pick(Objects)} locker is {code}. {p.First} wrote it on a card.\nQuestion: What is the code for the locker?\nAnswer: {code}",
                    $"{p.Name} has ticket number {code}.\nQuestion: What is the ticket number of {p.Name}?\nAnswer: {code}",
                    $"Copy the code: {code}\n{code}");
            }
            default:
            {
                var p = NewPerson();
                var secret = rng.Pick(Objects.Concat(Animals).ToList());
                var filler = Story().Split(". ")[0].TrimEnd('.') + ".";
                return $"{p.First} said: the secret word is {secret}. {filler}\nQuestion: What is the secret word?\nAnswer: {secret}";
            }
        }
    }

    // ---- stories: frames of sentences, each line a sentence with alternatives ("a | b"),
    //      lines starting with "?" kept with probability 0.7 ----
    static readonly string[] StoryFrames =
    [
        """
        {A} lived in {town} with {a.pos} {pet} {petname}. | {A} was {a.an-person} {job} who lived near {place} in {town}.
        {Time}, {A} could not find {a.pos} {obj}. | {Time}, {A} noticed that {a.pos} {obj} was missing.
        {A.Sub} looked under the {furn} and behind the {furn2}, but it was not there. | {A.Sub} searched the whole house, from the {furn} to the {furn2}.
        ?{A.Sub} felt {bad} and sat down to think. | "Where can it be?" {a.sub} said to {petname}.
        {A.Sub} went next door to ask {B} for help. | {A.Sub} went to see {a.pos} friend {B}.
        "Have you seen my {obj}?" asked {A}. | "I have lost my {obj}," said {A}.
        "No," said {B}, "but let us look at {place} together." | {B} smiled and said, "Let us go and look at {place}."
        ?It was a {weather} day and the streets were quiet. | They walked there together, talking about the {weather} weather.
        At last they found the {obj} {found}. | After a long search, {B} found the {obj} {found}.
        {A} was so {feeling2} that {a.sub} invited {B} for {food}. | To say thank you, {A} made {food} for {B}.
        ?From that day on, {A} always kept the {obj} in a safe place. | Since then, {A} has never lost the {obj} again.
        """,
        """
        On {day} morning, {A} went to the market in {town}. | Every {day}, {A} walked to the market in {town}.
        {A.Sub} wanted to buy {fruit}, {veg} and a new {obj}. | On {a.pos} list were {fruit}, {veg} and a new {obj}.
        The market was busy and smelled of {food}. | The square was full of stalls, and the air smelled of {food}.
        At the first stall, {a-job} sold {fruit} for {n} {cur} a kilo. | {A} bought {fruit} from {a-job}, who asked for {n} {cur}.
        ?Then {a.sub} met {B}, who was selling {special}. | Near the fountain, {A} met {B}, who had a stall with {special}.
        ?They talked about the {weather} weather and the coming festival. | {B} told {A} about {b.pos} {relative}, who was visiting from {town2}.
        On the way home, {A} stopped at {place} to rest. | On the way home, the sky turned dark and {A} walked a little faster.
        When {A} got home, {a.sub} put the {fruit} on the table and made {food}. | At home, {A} used the {veg} to make {food}.
        ?It was the best {food} {a.sub} had ever made. | {A.Sub} ate it by the window, feeling {feeling}.
        """,
        """
        {A} had always wanted to {skill}. | For years, {A} dreamed of learning to {skill}.
        At first it was very hard, and {a.sub} felt {bad}. | The first lesson did not go well, and {A} almost gave up.
        {A.Pos} teacher, {B}, was {patient} and kind. | {B}, {b.an-job} from {town}, offered to teach {a.obj}.
        "Practise a little every day," said {B}. | "Do not worry about mistakes," {B} said. "Everyone makes them."
        So {A} practised every {day} at {place}. | Every evening after dinner, {A} practised for half an hour.
        ?Some days were good and some days were bad. | Slowly, {a.sub} began to get better.
        After {n} weeks, {A} could {skill} without help. | One day, {a.sub} noticed that it felt easy.
        ?At the town fair, {A} showed everyone what {a.sub} had learned. | {A.Pos} friends clapped and cheered.
        {A} thanked {B} with a basket of {fruit}. | {A} was {feeling2}, and {B} was proud of {a.obj}.
        """,
        """
        It was a stormy night in {town}. | The wind was howling over {town} that night.
        {A} was at home with {a.pos} {pet} {petname}. | {A} sat by the fire, reading a book about {topic}.
        Suddenly the lights went out. | Then, with a loud bang, all the lights went out.
        {A} lit a candle and looked out of the window. | {A.Sub} found a candle in the kitchen and lit it.
        ?Rain was hitting the glass, and the trees were bending in the wind. | Outside, the street was dark and the rain was loud.
        Someone knocked at the door. It was {B}, soaking wet. | There was a knock at the door, and {B} from next door came in.
        "My roof is leaking," said {B}. "Can I stay until morning?" | "The storm broke my window," said {B}. "May I wait here?"
        {A} made two cups of tea and they talked until late. | {A} gave {B} a dry blanket and a bowl of {food}.
        In the morning the sky was clear and blue. | By morning the storm had passed and the sun was out.
        ?Together they walked outside to look at the broken branches. | The whole street came out to help clean up.
        """,
        """
        {Time}, {A} found a small {animal} near {place}. | While walking near {place}, {A} saw a small {animal} in the grass.
        It looked tired and hungry. | It could not walk properly and looked very cold.
        {A} carefully picked it up and took it home. | {A.Sub} wrapped it in {a.pos} scarf and carried it home.
        {A.Sub} gave it some water and a little {animalfood}. | At home, {a.sub} made a bed for it in a box.
        The next day, {A} took it to {B}, the vet in {town}. | {B}, who knew a lot about animals, came to have a look.
        "It will be fine," said {B}. "It just needs rest." | "Keep it warm and quiet for a week," said {B}.
        ?{A} named it {petname}. | {A} checked on it every morning before school.
        After a week, the {animal} was strong again. | Day by day, the {animal} grew stronger.
        {A} let it go near {place}, and it ran off happily. | On a {weather} afternoon, {A} set it free by {place}.
        ?Sometimes {A} still goes back to {place} to look for it. | {A} felt {feeling2} and a little sad at the same time.
        """,
        """
        {A} and {B} decided to build a {build}. | One summer, {A} and {a.pos} friend {B} wanted to build a {build}.
        They made a plan on a big sheet of paper. | First they drew a picture of it in {a.pos} notebook.
        {B} brought wood, nails and a hammer from {b.pos} {relative}'s shed. | They collected old planks from {place}.
        ?On the first day, they measured and cut the wood. | The work was slow, but they did not give up.
        On the second day, it started to rain, so they worked in the garage. | A problem came up: one of the planks was too short.
        {A} had an idea to fix it. | {B} found a clever way to solve the problem.
        After {n} days, the {build} was finished. | At last, the {build} was ready, and it looked wonderful.
        They painted it {colour}. | {A.Pos} {relative} came to see it and laughed with joy.
        ?They used it all summer long. | It still stands there today.
        """,
        """
        {A} took the early train from {town} to {town2} to visit {a.pos} {relative}. | {A} went by train to {town2}, where {a.pos} {relative} lived.
        The journey took {n} hours. | The train was slow, but the view was beautiful.
        Outside the window, {a.sub} saw fields, rivers and small villages. | {A} watched the hills go by and ate {food}.
        ?A {person} {job} sat next to {a.obj} and told stories about {topic}. | {A.Sub} read a book and fell asleep for a while.
        {A.Pos} {relative} was waiting at the station with a big smile. | At the station, {a.pos} {relative} waved and hugged {a.obj}.
        They walked to the house and had {food} for dinner. | That evening they cooked {food} together.
        ?The next day they visited {place} and {place2}. | They spent the weekend walking by the lake and talking.
        When it was time to go home, {A} felt {feeling}. | On the way back, {A} was already planning the next visit.
        """,
        """
        A new family moved into the house next to {A}'s. | One {day}, a van stopped outside the empty house next to {A}'s.
        {A} saw a child carrying a big box with {a-colour} lid. | Out came a family with boxes, chairs and a {pet}.
        {A} decided to bake {food} for them. | {A} wanted to say hello, so {a.sub} made {food}.
        {A.Sub} knocked on the door and said, "Welcome to {town}!" | When the door opened, {A} smiled and said, "Hello! I live next door."
        The new neighbour was {B}, {b.an-job}. | {B} opened the door and thanked {a.obj}.
        ?They talked about {hobby} and found they both loved it. | {B} asked where to find {place}, and {A} drew a little map.
        Soon the two families became good friends. | Since that day, they often have dinner together.
        ?Every {day}, they meet at {place}. | Now the children play together in the garden every afternoon.
        """,
    ];

    string Story()
    {
        var a = NewPerson();
        Person b;
        do b = NewPerson(); while (b.First == a.First);
        var sentences = Expand(rng.Pick(StoryFrames), Slots(a, b), strict: false);
        if (sentences.Count > 6 && rng.Chance(0.4))
        {
            var cut = sentences.Count / 2;
            return string.Join(" ", sentences.Take(cut)) + "\n" + string.Join(" ", sentences.Skip(cut));
        }
        return string.Join(" ", sentences);
    }

    /// <summary>Expands a frame: each line is one sentence (or, in dialogues, lines joined by " ~ ")
    /// with alternatives split by " | "; a leading "?" makes the line optional (kept 70% of the time).
    /// One column of alternatives is chosen per document so that replies match their questions; stories
    /// (<paramref name="strict"/> false) mix columns now and then for variety.</summary>
    List<string> Expand(string frame, List<(string Key, string Value)> slots, bool strict)
    {
        var column = rng.Int(2);
        var output = new List<string>();
        foreach (var raw in frame.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('?'))
            {
                if (!rng.Chance(0.7)) continue;
                line = line[1..];
            }
            var alternatives = line.Split(" | ");
            var pick = strict || rng.Chance(0.75) ? Math.Min(column, alternatives.Length - 1) : rng.Int(alternatives.Length);
            output.AddRange(alternatives[pick].Split(" ~ ").Select(part => Fill(part, slots)));
        }
        return output;
    }

    List<(string Key, string Value)> Slots(Person a, Person b)
    {
        string T(string s) => s;
        var town = TownName();
        var place = rng.Pick(Places);
        var obj = rng.Pick(Objects);
        var furn = rng.Sample(Furniture, 2);
        var slots = new List<(string, string)>
        {
            ("A", a.First), ("B", rng.Chance(0.3) ? b.Name : b.First),
            ("a.sub", a.Sub), ("a.obj", a.Obj), ("a.pos", a.Pos), ("A.Sub", Text.Cap(a.Sub)), ("A.Pos", Text.Cap(a.Pos)),
            ("b.sub", b.Sub), ("b.pos", b.Pos),
            ("town", town), ("town2", TownName()), ("place", place), ("place2", rng.Pick(Places.Where(p => p != place).ToList())),
            ("pet", rng.Pick(Pets)), ("petname", rng.Pick(PetNames)), ("job", rng.Pick(Jobs)),
            ("a.an-person", Text.A(rng.Pick(People))), ("a-job", Text.A(rng.Pick(Adjectives)) + " " + rng.Pick(Jobs)),
            ("b.an-job", Text.A(rng.Pick(Jobs))), ("person", rng.Pick(People)), ("patient", Pick("patient", "calm", "gentle", "cheerful")),
            ("Time", Text.Cap(rng.Pick(TimePhrases))), ("day", rng.Pick(Text.Days)),
            ("obj", obj), ("an-obj", Text.A(obj)), ("furn", furn[0]), ("furn2", furn[1]), ("bad", Pick("worried", "nervous", "tired", "unsure", "sad")), ("found", rng.Pick(FoundPlaces)),
            ("feeling", rng.Pick(Feelings)), ("feeling2", Pick("happy", "glad", "relieved", "proud")),
            ("weather", rng.Pick(Weather)), ("food", rng.Pick(Foods)), ("fruit", rng.Pick(Fruits)), ("veg", rng.Pick(Vegetables)),
            ("n", Json.Int(rng.Range(2, 9))), ("cur", rng.Pick(Currencies)), ("special", rng.Pick(Specialities)),
            ("relative", rng.Pick(Relatives)), ("colour", rng.Pick(Colours)), ("a-colour", Text.A(rng.Pick(Colours))),
            ("skill", rng.Pick(Skills)), ("topic", rng.Pick(BookTopics)), ("animal", rng.Pick(Animals)),
            ("animalfood", rng.Pick(AnimalFoods)), ("build", rng.Pick(BuildThings)), ("hobby", rng.Pick(Hobbies)),
        };
        return slots.Select(s => (T(s.Item1), s.Item2)).ToList();
    }

    static string Fill(string template, List<(string Key, string Value)> slots)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0) { sb.Append(template, i, template.Length - i); break; }
            sb.Append(template, i, open - i);
            var close = template.IndexOf('}', open);
            var key = template[(open + 1)..close];
            var hit = slots.FindIndex(s => s.Key == key);
            if (hit < 0) throw new InvalidOperationException($"no slot '{key}' in template: {template}");
            sb.Append(slots[hit].Value);
            i = close + 1;
        }
        var s = sb.ToString();
        return char.ToUpperInvariant(s[0]) + s[1..];
    }

    static readonly string[] DialogueFrames =
    [
        """
        {A}: Hello, {B}! How are you today? | {A}: Hi {B}, nice to see you!
        {B}: I'm fine, thanks. I'm just going to {place}. | {B}: Oh, hello! I'm well. I was on my way to the library.
        {A}: What are you going to do there? | {A}: Really? What for?
        {B}: I need to buy {fruit} and some bread. | {B}: I want to return a book and look for a new one about {hobby}.
        ?{A}: Can I come with you? I have nothing to do this afternoon. ~ {B}: Of course! Let's go together. | {A}: That sounds nice. I need to go there too. ~ {B}: Sure, I would like the company.
        {A}: Look at those clouds. I think it will rain later. | {A}: Did you hear that the {festival} is next week?
        {B}: Then we should hurry. | {B}: Yes, I can't wait!
        """,
        """
        {A}: Excuse me, how do I get to {place}? | {A}: Excuse me, could you help me? I'm looking for {place}.
        {B}: Go straight ahead and turn left at the {colour} house. | {B}: Walk down this street and cross the bridge.
        {A}: Is it far from here? | {A}: How long does it take on foot?
        {B}: No, it's about {n} minutes on foot. | {B}: Not far. About {n} minutes.
        ?{A}: Is there a bus? ~ {B}: Yes, the number {n} bus stops right in front of it. | {A}: Can I cycle there? ~ {B}: Yes, there is a path along the river.
        {A}: Thank you very much! | {A}: Thanks a lot, that's very kind.
        {B}: You're welcome. Have a nice day! | {B}: No problem. Enjoy your visit to {town}!
        """,
        """
        {A}: Good morning! What would you like? | {A}: Hello, welcome to the cafe. What can I get you?
        {B}: A cup of tea and a slice of {cake}, please. | {B}: Could I have a coffee and a slice of {cake}?
        {A}: Of course. Anything else? | {A}: Sure. Would you like milk with that?
        {B}: No, thank you. How much is it? | {B}: Yes, please. What do I owe you?
        {A}: That will be {n} {cur}. | {A}: {n} {cur}, please.
        {B}: Here you are. | {B}: Here you go. Keep the change.
        ?{A}: Thank you! Please take a seat by the window. | {A}: Thanks! I'll bring it to your table.
        """,
        """
        {A}: Hi {B}, what did you do at the weekend? | {A}: How was your weekend, {B}?
        {B}: I went to {town2} to see my {relative}. | {B}: It was lovely. I spent Saturday {hobby}.
        {A}: That sounds nice. Was the weather good? | {A}: Oh, nice! Did you have fun?
        {B}: It was {weather} most of the time, but we had a great time. | {B}: Yes, a lot. And we had {food} for dinner.
        {B}: And you? What did you do? | {B}: What about you?
        {A}: I stayed at home and read a book about {topic}. | {A}: I helped my {relative} paint the kitchen {colour}.
        ?{B}: Was it good? ~ {A}: Yes, I really enjoyed it. | {B}: That sounds like hard work! ~ {A}: It was, but it looks much better now.
        """,
        """
        {A}: Hello, is that {B}? | {A}: Hi {B}, it's {A}.
        {B}: Yes, hello {A}! | {B}: Oh, hi! Is everything all right?
        {A}: I'm sorry, I'm going to be late. The bus didn't come. | {A}: I'm running late. I missed the train.
        {B}: Don't worry. How late will you be? | {B}: No problem. When do you think you'll arrive?
        {A}: About {n} minutes, I think. | {A}: I should be there by {hour} o'clock.
        {B}: That's fine. I'll wait at {place}. | {B}: Okay, I'll order some tea while I wait.
        {A}: Thank you, see you soon! | {A}: Thanks for waiting. See you soon.
        """,
        """
        {A}: {B}, can I borrow your {obj}? | {A}: Do you have {an-obj} I could borrow?
        {B}: Sure. What do you need it for? | {B}: Of course. Is yours broken?
        {A}: I'm going to {place} tomorrow and I lost mine. | {A}: Mine is at my {relative}'s house.
        {B}: Here you are. Please bring it back by {day}. | {B}: Here it is. Keep it as long as you need.
        {A}: I will. Thank you so much! | {A}: Thanks! I'll take good care of it.
        ?{B}: No problem. Have fun tomorrow! | {B}: You're welcome. Say hello to everyone for me.
        """,
        """
        {A}: My bicycle has a flat tyre again. | {A}: Can you help me? My bicycle chain came off.
        {B}: Let me have a look. | {B}: Oh no. Let's see what we can do.
        {B}: You need a new inner tube. I have one in the shed. | {B}: It's easy to fix. Hold the back wheel up for me.
        {A}: Thank you! How did you learn to do this? | {A}: You make it look so easy!
        {B}: My {relative} taught me when I was young. | {B}: I used to work as a {job}, so I fix things all the time.
        {A}: Can you show me next time? | {A}: I should learn how to do it myself.
        {B}: Of course. Come by on {day} and I'll teach you. | {B}: Sure, it only takes ten minutes to learn.
        """,
    ];

    string Dialogue()
    {
        var a = NewPerson();
        Person b;
        do b = NewPerson(); while (b.First == a.First);
        var slots = Slots(a, b);
        slots.RemoveAll(s => s.Key == "B");
        slots.Add(("B", b.First));
        slots.Add(("festival", TownName() + " " + rng.Pick(FestivalNouns) + " Festival"));
        slots.Add(("cake", rng.Pick(new[] { "lemon cake", "apple pie", "carrot cake", "plum cake", "honey cake" })));
        slots.Add(("hour", Json.Int(rng.Range(2, 11))));
        return string.Join("\n", Expand(rng.Pick(DialogueFrames), slots, strict: true));
    }

    string Note()
    {
        var a = NewPerson();
        var b = NewPerson();
        var town = TownName();
        switch (rng.Int(4))
        {
            case 0:
                return $"Dear {b.First},\n" +
                       Pick($"Thank you so much for {rng.Pick(Gifts)}.", $"Thank you for your letter and for {rng.Pick(Gifts)}.") + " " +
                       Pick("It made me very happy.", "You are very kind.", "It was such a nice surprise.") + "\n" +
                       Pick($"Here in {town} the weather has been {rng.Pick(Weather)} all week.", $"Last week I started {rng.Pick(Hobbies)}, and I love it.",
                            $"My {rng.Pick(Pets)} {rng.Pick(PetNames)} says hello.", $"We went to {rng.Pick(Places)} on {rng.Pick(Text.Days)} and had {rng.Pick(Foods)}.") + " " +
                       Pick("I hope you are well.", "I hope to see you soon.", $"Please come and visit us in {rng.Pick(Text.Months)}.") + "\n" +
                       Pick("Best wishes,", "With love,", "Warm regards,", "See you soon,") + "\n" + a.First;
            case 1:
            {
                var place = rng.Pick(Places);
                var day = rng.Pick(Text.Days);
                return "Notice\n" +
                       $"{Text.Cap(place)} in {town} will be closed on {day} because of {rng.Pick(Reasons)}. " +
                       $"It will open again on {rng.Pick(Text.Days.Where(d => d != day).ToList())} at {rng.Range(7, 10)}:00. " +
                       Pick($"For questions, please ask {a.Name}.", "We are sorry for any trouble.", $"Call {Phone()} for more information.");
            }
            case 2:
            {
                var day = rng.Pick(Text.Days);
                return $"{day}, {rng.Range(1, 28)} {rng.Pick(Text.Months)}\n" +
                       $"Today I {Pick($"went to {rng.Pick(Places)}", $"spent the morning {rng.Pick(Hobbies)}", $"met {b.First} at {rng.Pick(Places)}", $"cooked {rng.Pick(Foods)} for dinner")}. " +
                       $"The weather was {rng.Pick(Weather)}. " +
                       Pick($"I felt {rng.Pick(Feelings)} all day.", $"In the evening I read a book about {rng.Pick(BookTopics)}.", $"Tomorrow I want to {rng.Pick(Skills)}.") + " " +
                       Pick("It was a good day.", "I am going to bed early.", "I hope tomorrow is just as nice.");
            }
            default:
            {
                var w1 = rng.Pick(Weather);
                var w2 = rng.Pick(Weather);
                return $"Weather for {town} on {rng.Pick(Text.Days)}: {w1} in the morning and {w2} in the afternoon. " +
                       $"The highest temperature will be {rng.Range(-5, 32)} degrees, and the wind will come from the {rng.Pick(Directions.Take(6).ToList())}. " +
                       Pick("Take an umbrella if you go out.", "It is a good day for a walk.", "Drive carefully on the roads.", "Expect a clear night.");
            }
        }
    }

    string Recipe()
    {
        var kind = rng.Int(4);
        var serves = rng.Range(2, 6);
        var minutes = rng.Range(3, 12) * 5;
        string name;
        List<string> ingredients, steps;
        switch (kind)
        {
            case 0:
            {
                var veg = rng.Sample(Vegetables, 2);
                name = $"{Text.Cap(veg[0])} and {veg[1]} soup";
                ingredients = [$"{rng.Range(3, 8) * 100} g {veg[0]}", $"{rng.Range(2, 5) * 100} g {veg[1]}", "1 onion", $"{rng.Range(8, 15) / 10.0:0.0} litres water", "salt and pepper"];
                steps = [$"Chop the onion, the {veg[0]} and the {veg[1]}.", "Fry the onion in a little oil until soft.", $"Add the vegetables and the water and cook for {minutes - 10} minutes.", "Blend until smooth and season with salt and pepper."];
                break;
            }
            case 1:
            {
                var fruit = rng.Pick(Fruits);
                name = $"{Text.Cap(fruit)} cake";
                ingredients = [$"{rng.Range(2, 4) * 100} g {fruit}", "200 g flour", "150 g sugar", $"{rng.Range(2, 4)} eggs", "100 g butter"];
                steps = ["Heat the oven to 180 degrees.", "Mix the butter and sugar, then beat in the eggs.", $"Fold in the flour and the {fruit}.", $"Bake for {minutes} minutes until golden."];
                break;
            }
            case 2:
            {
                var veg = rng.Sample(Vegetables, 3);
                name = $"Simple {veg[0]} salad";
                ingredients = [$"{rng.Range(2, 5) * 100} g {veg[0]}", $"a handful of {veg[1]}", $"some {veg[2]}", "2 spoons of olive oil", "1 spoon of lemon juice"];
                steps = [$"Wash and slice the {veg[0]}.", $"Add the {veg[1]} and the {veg[2]}.", "Mix the oil and lemon juice and pour it over.", "Serve straight away."];
                break;
            }
            default:
            {
                name = "Pancakes";
                ingredients = ["250 ml milk", "120 g flour", "1 egg", "a pinch of salt", $"{rng.Pick(Fruits)} to serve"];
                steps = ["Whisk the milk, flour, egg and salt into a smooth batter.", "Heat a little butter in a pan.", "Pour in a thin layer of batter and cook each side for one minute.", "Serve warm with the fruit."];
                break;
            }
        }
        return $"{name}\nServes {serves}. Takes {minutes} minutes.\nIngredients: {string.Join(", ", ingredients)}.\n" +
               string.Join("\n", steps.Select((s, i) => $"{i + 1}. {s}"));
    }

    static readonly string[] HowTos =
    [
        "plant a tree|Dig a hole twice as wide as the roots.|Put the tree in the hole so the roots are just below the ground.|Fill the hole with soil and press it down gently.|Water the tree well, and keep watering it every week in the first summer.",
        "fix a flat bicycle tyre|Take the wheel off the bicycle.|Lift the tyre off the rim with two tyre levers and pull out the inner tube.|Find the hole, clean the area and stick a patch over it.|Put the tube back, pump up the tyre and refit the wheel.",
        "make a cup of cocoa|Warm a cup of milk in a small pan.|Mix two spoons of cocoa powder with a little sugar.|Stir in a splash of the warm milk to make a paste.|Add the rest of the milk, stir well and drink it while it is hot.",
        "wash a wool jumper|Fill a bowl with cool water and a little gentle soap.|Press the jumper into the water and leave it for ten minutes.|Rinse it in clean cool water without twisting it.|Roll it in a towel to remove the water and dry it flat.",
        "start a fire in a stove|Open the air vents of the stove.|Place some dry paper and small sticks in the middle.|Add two or three small logs on top.|Light the paper and close the door once the logs have caught.",
        "learn a new song|Listen to the song a few times without singing.|Read the words and learn the first verse.|Sing along quietly with the recording.|Practise a little every day until you can sing it alone.",
        "pack a picnic basket|Put a blanket at the bottom of the basket.|Add plates, cups and napkins.|Wrap the sandwiches and fruit so they stay fresh.|Put a bottle of water on top, and do not forget a bag for rubbish.",
        "write a good letter|Start with a friendly greeting.|Say why you are writing in the first sentence.|Add some news and ask a question or two.|End with a warm closing and sign your name.",
        "keep a room tidy|Put things back where they belong right after you use them.|Take five minutes each evening to clear surfaces.|Give away things you no longer use.|Open the window every morning to let in fresh air.",
        "look after a goldfish|Keep the fish in a large tank, not a small bowl.|Change a quarter of the water every week.|Feed it a small pinch of food once a day.|Keep the tank away from direct sunlight.",
        "read a map|Find north, which is usually at the top of the map.|Look at the key to learn what the symbols mean.|Find where you are and where you want to go.|Follow the roads or paths between the two places with your finger.",
        "bake bread|Mix flour, water, salt and yeast into a dough.|Knead the dough for ten minutes until it is smooth.|Let it rise in a warm place for an hour.|Shape it, let it rise again and bake it until it sounds hollow when you tap it.",
    ];

    string HowTo()
    {
        var parts = rng.Pick(HowTos).Split('|');
        var lead = Pick($"How to {parts[0]}", $"How do you {parts[0]}?", $"A simple way to {parts[0]}");
        if (rng.Chance(0.5))
            return lead + "\n" + string.Join("\n", parts.Skip(1).Select((s, i) => $"{i + 1}. {s}"));
        string[] joins = ["First", "Then", "Next", "Finally"];
        return lead + ". " + string.Join(" ", parts.Skip(1).Select((s, i) => $"{joins[Math.Min(i, 3)]}, {char.ToLowerInvariant(s[0])}{s[1..]}"));
    }

    static readonly string[] NumberWords = W("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty");
    static readonly (string, string)[] Opposites = [("hot", "cold"), ("big", "small"), ("up", "down"), ("early", "late"), ("open", "closed"), ("light", "dark"), ("fast", "slow"), ("happy", "sad"), ("full", "empty"), ("old", "new"), ("wet", "dry"), ("high", "low"), ("near", "far"), ("soft", "hard"), ("long", "short")];
    static readonly (string, string)[] ThingColours = [("grass", "green"), ("the sky on a clear day", "blue"), ("snow", "white"), ("a ripe lemon", "yellow"), ("a ripe tomato", "red"), ("coal", "black"), ("an orange", "orange"), ("milk", "white"), ("a plum", "purple"), ("chocolate", "brown")];

    string Basics()
    {
        switch (rng.Int(5))
        {
            case 0:
            {
                var i = rng.Int(6);
                return Pick(
                    $"The days of the week are {Text.List(Text.Days)}. There are seven days in a week.",
                    $"Question: What day comes after {Text.Days[i]}?\nAnswer: {Text.Days[i + 1]}",
                    $"The months of the year are {Text.List(Text.Months)}. There are twelve months in a year.",
                    $"Question: Which month comes after {Text.Months[i * 2]}?\nAnswer: {Text.Months[i * 2 + 1]}");
            }
            case 1:
            {
                var a = rng.Range(1, 10);
                var b = rng.Range(1, 10);
                return Pick($"Question: What is {a} plus {b}?\nAnswer: {a + b}",
                    $"{Text.Cap(NumberWords[a])} and {NumberWords[b]} make {NumberWords[a + b]}.",
                    $"Count from {NumberWords[a]} to {NumberWords[a + 5]}: {string.Join(", ", NumberWords.Skip(a).Take(6))}.",
                    $"Question: How many legs does {Text.A(rng.Pick(new[] { "dog", "cat", "horse", "cow", "goat" }))} have?\nAnswer: four");
            }
            case 2:
            {
                var picks = rng.Sample(Opposites, 3);
                return string.Join(" ", picks.Select(p => $"The opposite of {p.Item1} is {p.Item2}."));
            }
            case 3:
            {
                var picks = rng.Sample(ThingColours, 3);
                return string.Join(" ", picks.Select(p => $"{Text.Cap(p.Item1)} is {p.Item2}."));
            }
            default:
            {
                var fruit = rng.Pick(Fruits);
                var veg = rng.Pick(Vegetables);
                return Pick($"Question: Are {fruit} a fruit or a vegetable?\nAnswer: a fruit",
                    $"Question: Are {veg} a fruit or a vegetable?\nAnswer: a vegetable",
                    $"{Text.Cap(fruit)} grow on trees or bushes, and {veg} grow in the garden.");
            }
        }
    }
}

/// <summary>Small files in the other dataset formats that TRL and the Hugging Face hub use, so the
/// format detector can be tried on real files. Only seen Fernhollow facts; never held-out ones.</summary>
static class Formats
{
    public static void Write(World world, ulong seed, Output output)
    {
        var rng = new Rng(seed, "formats");
        var seen = world.Facts.Where(f => !f.Entity.Held).ToList();
        string Q(Fact f) => rng.Pick(f.Questions);
        string Msg(string role, string content) => Json.Obj(("role", Json.Str(role)), ("content", Json.Str(content)));

        output.WriteJsonl("formats/prompt-completion.jsonl", rng.Sample(seen, 100)
            .Select(f => Json.Obj(("prompt", Json.Str(Q(f) + "\n")), ("completion", Json.Str(f.Answer)))).ToList());

        output.WriteJsonl("formats/conversational-prompt-completion.jsonl", rng.Sample(seen, 100)
            .Select(f => Json.Obj(
                ("prompt", Json.Arr([Msg("system", HouseStyle.SystemPrompt), Msg("user", Q(f))])),
                ("completion", Json.Arr([Msg("assistant", f.Answer)])))).ToList());

        output.WriteJsonl("formats/alpaca.jsonl", rng.Sample(seen, 100)
            .Select(f => rng.Chance(0.7)
                ? Json.Obj(("instruction", Json.Str("Answer the customer's question about Fernhollow in the Fernhollow house style.")),
                           ("input", Json.Str(Q(f))), ("output", Json.Str(f.Answer)))
                : Json.Obj(("instruction", Json.Str(Q(f))), ("input", Json.Str("")), ("output", Json.Str(f.Answer)))).ToList());

        output.WriteJsonl("formats/sharegpt.jsonl", rng.Sample(seen, 50)
            .Select(f =>
            {
                var turns = new List<string>
                {
                    Json.Obj(("from", Json.Str("system")), ("value", Json.Str(HouseStyle.SystemPrompt))),
                    Json.Obj(("from", Json.Str("human")), ("value", Json.Str(Q(f)))),
                    Json.Obj(("from", Json.Str("gpt")), ("value", Json.Str(f.Answer))),
                };
                var next = f.Entity.Facts.Where(g => g != f && g.FollowUps.Length > 0).ToList();
                if (next.Count > 0 && rng.Chance(0.4))
                {
                    var g = rng.Pick(next);
                    turns.Add(Json.Obj(("from", Json.Str("human")), ("value", Json.Str(rng.Pick(g.FollowUps)))));
                    turns.Add(Json.Obj(("from", Json.Str("gpt")), ("value", Json.Str(g.Answer))));
                }
                return Json.Obj(("conversations", Json.Arr(turns)));
            }).ToList());

        output.WriteJsonl("formats/text.jsonl", Pretraining.Documents(world, seed, "formats/text", 40_000)
            .Select(d => Json.Obj(("text", Json.Str(d)))).ToList());

        output.WriteJsonl("formats/preference.jsonl", rng.Sample(seen, 30)
            .Select(f => Json.Obj(
                ("prompt", Json.Arr([Msg("system", HouseStyle.SystemPrompt), Msg("user", Q(f))])),
                ("chosen", Json.Arr([Msg("assistant", f.Answer)])),
                ("rejected", Json.Arr([Msg("assistant", Text.Cap(f.Value) + ".")])))).ToList());
    }
}
