using System.Text.Json.Nodes;

namespace SftLab.Tests.ChatTemplates;

/// <summary>
/// The Jinja feature suite: one small template per statement, expression form, filter, test and string method that
/// chat templates use, each rendered by SftLab and by both references. Every case gets the same variables
/// (<see cref="Data"/>) unless it says otherwise.
/// </summary>
public static class FeatureCases
{
    public const string Data = """
    {
      "s": "  Hello, World!  ", "word": "héllo wörld", "empty": "", "n": 7, "neg": -3, "f": 2.5, "big": 12345678901, "t": true, "no": false, "nil": null,
      "items": [3, 1, 2], "words": ["b", "A", "c", "a"], "mixed": [1, "two", 3.0, null, true],
      "d": {"z": 1, "a": {"k": [1, 2]}, "m": "x"},
      "users": [{"name": "ann", "age": 30, "tags": ["x"]}, {"name": "Bob", "age": 25}, {"name": "cy", "age": 35, "active": true}],
      "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi\nthere"}, {"role": "assistant", "content": "<think>r</think>\n\nok"}],
      "uni": "日本語 🙂 émoji", "multi": "line1\nline2\n\nline4\n", "nested": {"b": [1, {"c": "é\"\\\n"}], "a": 1.0, "e": 1e-7, "g": 1e20},
      "num_str": "42", "float_str": " 3.75 ", "bad_num": "abc"
    }
    """;

    private static readonly (string Id, string Template)[] Templates =
    [
        // ---- output, literals, whitespace control (trim_blocks / lstrip_blocks as transformers sets them) ----
        ("out-string", "{{ 'a' }}{{ \"b\" }}{{ 'c' 'd' }}"),
        ("out-escapes", "{{ 'tab\\there\\nnl \\'q\\' \\u00e9 \\x41 \\\\' }}"),
        ("out-numbers", "{{ 1 }} {{ 1.5 }} {{ 1_000 }} {{ 2.0 }} {{ 1e3 }} {{ 0.1 + 0.2 }} {{ 1e-7 }} {{ 1e22 }} {{ -0.0 }}"),
        ("out-consts", "{{ true }} {{ True }} {{ false }} {{ none }} {{ None }} {{ nil }}"),
        ("out-list-repr", "{{ [1, 'a', none, true, 2.5] }} {{ mixed }}"),
        ("out-dict-repr", "{{ {'a': 1, 'b': [1, 'x']} }} {{ d }}"),
        ("out-tuple-repr", "{{ (1,) }} {{ (1, 'b') }} {{ () }}"),
        ("out-undefined", "[{{ missing }}][{{ d.nope }}][{{ items[10] }}]"),
        ("out-quotes-repr", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"'] }}"),
        ("ws-minus", "a  {{- ' b ' -}}  c\n  {%- if true -%}  d  {%- endif -%}  e"),
        ("ws-trim-blocks", "{% if true %}\nyes\n{% endif %}\nend"),
        ("ws-lstrip-blocks", "  {% if true %}\n    x\n  {% endif %}\n  {{ 'y' }}\n"),
        ("ws-plus", "  {%+ if true %}a{% endif +%}\nb"),
        ("ws-comment", "a\n  {# comment #}\nb {#- strip -#}  c"),
        ("ws-trailing-newline", "x\n"),
        ("ws-crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n"),
        ("raw-block", "{% raw %}{{ not rendered }}{% endraw %}"),
        // ---- statements ----
        ("if-elif-else", "{% for x in [0, 1, 2, 3] %}{% if x == 0 %}zero{% elif x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %},{% endfor %}"),
        ("for-loop-vars", "{% for x in words %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }};{% endfor %}"),
        ("for-prev-next", "{% for x in items %}[{{ loop.previtem }}|{{ x }}|{{ loop.nextitem }}]{% endfor %}"),
        ("for-cycle-changed", "{% for x in [1, 1, 2, 2, 3] %}{{ loop.cycle('a', 'b') }}{% if loop.changed(x) %}!{% endif %}{% endfor %}"),
        ("for-else", "{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in nil or [] %}{% else %}none{% endfor %}"),
        ("for-filter", "{% for u in users if u.age > 26 %}{{ u.name }},{% endfor %}"),
        ("for-unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}"),
        ("for-dict", "{% for k in d %}{{ k }}{% endfor %}"),
        ("for-string", "{% for c in 'abc' %}{{ c }}-{% endfor %}"),
        ("for-nested-depth", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.depth }}{% endfor %}{{ loop.depth }}{% endfor %}"),
        ("for-break-continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}"),
        ("for-scope", "{% set x = 5 %}{% for i in range(3) %}{% if i == 0 %}{% set x = 1 %}{% endif %}[{{ x }}]{% endfor %}{{ x }}"),
        ("for-reverse-slice", "{% for m in messages[::-1] %}{{ m.role }}{% endfor %}"),
        ("set-simple", "{% set a = 1 %}{% set b = a + 1 %}{{ a }}{{ b }}"),
        ("set-tuple", "{% set a, b = 1, 2 %}{{ b }}{{ a }}{% set (c, e) = [3, 4] %}{{ c }}{{ e }}"),
        ("set-if-scope", "{% if true %}{% set y = 2 %}{% endif %}{{ y }}"),
        ("set-block", "{% set body %}Hi {{ 'there' }}{% endset %}[{{ body }}]"),
        ("set-block-filter", "{% set body | upper | trim %}  shout  {% endset %}[{{ body }}]"),
        ("namespace", "{% set ns = namespace(count=0, found=false) %}{% for x in items %}{% set ns.count = ns.count + x %}{% if x == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }}"),
        ("namespace-repr", "{% set ns = namespace(a=1) %}{{ ns.a }}{{ ns.b is defined }}"),
        ("macro", "{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('x') }} {{ greet('y', '?') }} {{ greet(punct='.', name='z') }}"),
        ("macro-varargs", "{% macro m(a) %}{{ a }}|{{ varargs }}|{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}"),
        ("macro-recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1) | int }}{% endif %}{% endmacro %}{{ fact(5) }}"),
        ("macro-missing-arg", "{% macro m(a, b) %}[{{ a }}][{{ b }}][{{ b is defined }}]{% endmacro %}{{ m(1) }}"),
        ("call-block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}"),
        ("call-block-args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1, 2]) %}<{{ v }}>{% endcall %}"),
        ("filter-block", "{% filter upper %}hello {{ 'world' }}{% endfilter %}"),
        ("filter-block-chain", "{% filter trim | replace('a', 'o') %}  banana  {% endfilter %}"),
        ("generation-block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}|{% endfor %}"),
        // ---- expressions ----
        ("math", "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7.5 // 2 }} {{ 2 ** -1 }}"),
        ("math-precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ 10 - 2 - 3 }} {{ not true or true }} {{ 1 ~ 2 + 3 }}"),
        ("math-mixed", "{{ 1 + 2.0 }} {{ true + 1 }} {{ n * f }} {{ 3 * 'ab' }} {{ [1] * 2 }} {{ [1] + [2] }} {{ big * 2 }}"),
        ("concat-tilde", "{{ 'a' ~ 1 ~ none ~ true ~ [1] ~ missing }}"),
        ("compare", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ 'a' != 'a' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ [1, 2] < [1, 3] }} {{ none == none }}"),
        ("compare-in", "{{ 'ell' in 'hello' }} {{ 2 in items }} {{ 'z' in d }} {{ 'q' not in d }} {{ 5 not in items }}"),
        ("logic", "{{ true and 'x' }} {{ false or 'y' }} {{ '' or 0 or none }} {{ not '' }} {{ not [] and 1 }} {{ 0 and 1 }}"),
        ("cond-expr", "{{ 'yes' if t else 'no' }} {{ 'yes' if no else 'no' }} [{{ 'only' if no }}] {{ 1 if false else 2 if true else 3 }}"),
        ("subscript", "{{ items[0] }} {{ items[-1] }} {{ d['z'] }} {{ d.a.k[1] }} {{ users[1]['name'] }} {{ 'abc'[1] }} {{ d.a['k'][0] }} {{ items.0 }}"),
        ("slices", "{{ items[1:] }} {{ items[:-1] }} {{ items[::2] }} {{ items[::-1] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ 'hello'[-3:] }} {{ items[5:] }} {{ 'abcdef'[4:1:-1] }}"),
        ("slice-unicode", "{{ uni[0] }}|{{ uni[4] }}|{{ uni[:5] }}|{{ uni|length }}|{{ uni[::-1] }}"),
        ("dict-literal", "{% set x = {'b': 1, 'a': 2, 3: 'c'} %}{{ x }} {{ x.b }} {{ x[3] }} {{ x|length }}"),
        ("list-literal", "{{ [] }} {{ [1, [2, [3]]] }} {{ [1,] }}"),
        ("attr-vs-item", "{{ d.items is defined }} {{ d.keys()|list }} {{ d.values()|list|length }} {{ d.get('z') }} {{ d.get('q', 'dflt') }} {{ d.get('q') }}"),
        ("call-kwargs", "{% set x = dict(a=1, b='two') %}{{ x }} {{ dict(x, c=3) }}"),
        ("range", "{{ range(5)|list }} {{ range(2, 5)|list }} {{ range(10, 0, -3)|list }} {{ range(0)|list }}"),
        // ---- filters ----
        ("f-trim", "[{{ s|trim }}][{{ '  x  '|trim }}][{{ 'xxhixx'|trim('x') }}][{{ 5|trim }}]"),
        ("f-length", "{{ items|length }} {{ s|length }} {{ d|length }} {{ empty|length }} {{ missing|length }} {{ uni|count }}"),
        ("f-tojson", "{{ d|tojson }} {{ nested|tojson }} {{ items|tojson }} {{ 'é'|tojson }} {{ nil|tojson }} {{ t|tojson }} {{ f|tojson }} {{ users[0]|tojson }}"),
        ("f-tojson-indent", "{{ nested|tojson(indent=2) }}\n{{ [1, [], {}]|tojson(indent=4) }}\n{{ d|tojson(indent=0) }}"),
        ("f-items", "{% for k, v in d|items %}{{ k }}:{{ v }},{% endfor %}{{ missing|items|list }}"),
        ("f-join", "{{ words|join }} {{ words|join(', ') }} {{ items|join('-') }} {{ users|join(', ', attribute='name') }}"),
        ("f-case", "{{ word|upper }} {{ 'HeLLo'|lower }} {{ 'hello WORLD foo-bar (x)'|title }} {{ 'hELLO world'|capitalize }}"),
        ("f-replace", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }} {{ s|replace(' ', '') }}"),
        ("f-default", "{{ missing|default('dflt') }} {{ nil|default('x') }} {{ empty|default('e', true) }} {{ n|d(0) }} {{ missing|d }}"),
        ("f-first-last", "{{ items|first }} {{ items|last }} {{ 'abc'|first }} {{ 'abc'|last }} {{ users|first|tojson }} [{{ []|first }}]"),
        ("f-map", "{{ users|map(attribute='name')|join(',') }} {{ words|map('upper')|list }} {{ users|map(attribute='active', default=false)|list }} {{ ['1', '2']|map('int')|sum }}"),
        ("f-select-reject", "{{ range(10)|select('odd')|list }} {{ range(10)|reject('even')|list }} {{ mixed|select|list }} {{ [1, 2, 3, 4]|select('divisibleby', 2)|list }} {{ items|select('gt', 1)|list }}"),
        ("f-selectattr", "{{ users|selectattr('active')|map(attribute='name')|list }} {{ users|selectattr('age', 'gt', 26)|map(attribute='name')|list }} {{ users|rejectattr('age', 'equalto', 25)|map(attribute='name')|list }} {{ messages|selectattr('role', 'eq', 'user')|list|length }}"),
        ("f-list-string", "{{ 'abc'|list }} {{ d|list }} {{ 5|string }} {{ [1, 'a']|string }} {{ nil|string }}"),
        ("f-int-float", "{{ '42'|int }} {{ ' 3.75 '|float }} {{ 'abc'|int }} {{ 'abc'|int(7) }} {{ 3.9|int }} {{ '3.9'|int }} {{ 5|float }} {{ 'x'|float(1.5) }} {{ true|int }} {{ nil|int }} {{ '0x1A'|int(0, 16) }} {{ '1e3'|float }}"),
        ("f-indent", "[{{ multi|indent }}]\n[{{ multi|indent(2, true) }}]\n[{{ multi|indent(2, first=true, blank=true) }}]\n[{{ 'a\\nb'|indent('> ') }}]"),
        ("f-safe-escape", "{{ '<b>'|safe }} {{ '<a href=\"x\">&\\'</a>'|e }} {{ 1|safe }}"),
        ("f-abs-round", "{{ -3|abs }} {{ neg|abs }} {{ 2.567|round(2) }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(method='floor') }} {{ 7|round }}"),
        ("f-sum-min-max", "{{ items|sum }} {{ users|sum(attribute='age') }} {{ items|min }} {{ items|max }} {{ words|min }} {{ words|max }} {{ words|max(case_sensitive=true) }} {{ users|max(attribute='age')|tojson }}"),
        ("f-sort-unique-reverse", "{{ words|sort }} {{ words|sort(reverse=true) }} {{ words|sort(case_sensitive=true) }} {{ users|sort(attribute='age')|map(attribute='name')|list }} {{ ['a', 'A', 'b', 'a']|unique|list }} {{ items|reverse|list }} {{ 'abc'|reverse }}"),
        ("f-dictsort", "{{ d|dictsort }} {{ {'b': 2, 'a': 3, 'C': 1}|dictsort(by='value') }} {{ {'b': 2, 'a': 3}|dictsort(reverse=true) }}"),
        ("f-center-wordcount", "[{{ 'ab'|center(7) }}] {{ 'one two, three'|wordcount }}"),
        ("f-batch", "{{ range(5)|batch(2)|list }} {{ range(5)|batch(2, 'x')|list }}"),
        ("f-format", "{{ '%s-%s'|format('a', 1) }} {{ '%d items, %.2f'|format(3, 2.5) }} {{ '%s' % 'x' }} {{ '%s and %s' % ('a', 'b') }} {{ '%5s|%-5s|' % ('r', 'l') }}"),
        ("f-attr", "{{ users[0]|attr('name') }}|{{ d|attr('z') }}"),
        ("f-chain", "{{ s|trim|lower|replace('world', 'there')|title }}"),
        // ---- tests ----
        ("t-defined", "{{ n is defined }} {{ missing is defined }} {{ missing is undefined }} {{ d.z is defined }} {{ d.nope is defined }} {{ nil is defined }}"),
        ("t-none-bool", "{{ nil is none }} {{ 0 is none }} {{ t is boolean }} {{ 1 is boolean }} {{ t is true }} {{ 1 is true }} {{ no is false }} {{ nil is not none }}"),
        ("t-types", "{{ s is string }} {{ n is string }} {{ d is mapping }} {{ items is mapping }} {{ items is iterable }} {{ s is iterable }} {{ n is iterable }} {{ d is iterable }} {{ items is sequence }} {{ n is sequence }}"),
        ("t-numbers", "{{ n is number }} {{ f is number }} {{ s is number }} {{ t is number }} {{ n is integer }} {{ f is integer }} {{ t is integer }} {{ f is float }} {{ n is float }} {{ n is odd }} {{ n is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }}"),
        ("t-compare", "{{ n is equalto 7 }} {{ n is eq 8 }} {{ n is ne 8 }} {{ n is gt 3 }} {{ n is ge 7 }} {{ n is lt 3 }} {{ n is le 7 }} {{ n is greaterthan 1 }} {{ n is lessthan 1 }} {{ n is == 7 }} {{ 2 is in items }} {{ 'x' is in 'xyz' }}"),
        ("t-misc", "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aBc' is lower }} {{ range is callable }} {{ n is callable }} {{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ nil is sameas none }} {{ t is sameas true }}"),
        ("t-negated", "{{ n is not defined }} {{ n is not string }} {{ not n is string }} {{ missing is not none }}"),
        // ---- string methods ----
        ("m-strip", "[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}][{{ 'xxhixx'.strip('x') }}][{{ '\\n\\nhi\\n'.lstrip('\\n') }}][{{ '..hi..'.rstrip('.') }}]"),
        ("m-split", "{{ 'a,b,,c'.split(',') }} {{ '  a  b  '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'x</think>y</think>z'.split('</think>')[-1] }} {{ ''.split(',') }} {{ ''.split() }}"),
        ("m-starts-ends", "{{ s.startswith('  He') }} {{ s.endswith('!  ') }} {{ 'abc'.startswith(('x', 'a')) }} {{ 'abc'.endswith('b') }} {{ 'abc'.startswith('b', 1) }}"),
        ("m-case", "{{ word.upper() }} {{ 'AbC'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ 'AbC'.swapcase() }} {{ \"they're bill's\".title() }}"),
        ("m-replace-find", "{{ 'aXbXc'.replace('X', '-') }} {{ 'aXbXc'.replace('X', '-', 1) }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.index('e') }} {{ 'hello'.count('l') }}"),
        ("m-misc", "{{ '-'.join(['a', 'b']) }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ '42'.isdigit() }} {{ 'ab'.isalpha() }} {{ '  '.isspace() }} {{ 'pre_x'.removeprefix('pre_') }} {{ 'x.txt'.removesuffix('.txt') }} {{ '7'.zfill(3) }} {{ 'a=b=c'.partition('=') }} {{ '{} and {name}'.format(1, name='n') }}"),
        ("m-chained", "{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}|{{ messages[2].content.split('</think>')[-1].lstrip('\\n') }}"),
        // ---- globals ----
        ("g-strftime", "{{ strftime_now('%Y')|length }}"),
        // ---- errors (both sides must fail) ----
        ("e-raise", "{{ raise_exception('bad conversation') }}"),
        ("e-undefined-attr", "{{ missing.attr }}"),
        ("e-undefined-method", "{{ missing.strip() }}"),
        ("e-undefined-add", "{{ missing + 1 }}"),
        ("e-type-add", "{{ 'a' + 1 }}"),
        ("e-div-zero", "{{ 1 / 0 }}"),
        ("e-unknown-filter", "{{ 1|nosuchfilter }}"),
        ("e-unknown-test", "{{ 1 is nosuchtest }}"),
        ("e-syntax-unclosed", "{% if true %}x"),
        ("e-syntax-bad-end", "{% for x in items %}x{% endif %}"),
        ("e-syntax-expr", "{{ 1 + }}"),
        ("e-items-non-mapping", "{{ items|items|list }}"),
        ("e-list-append", "{{ items.append(4) }}"),
        ("e-set-attr-non-namespace", "{% set d.z = 2 %}"),
    ];

    public static IEnumerable<OracleCase> All()
    {
        var data = (JsonObject)JsonNode.Parse(Data)!;
        foreach (var (id, template) in Templates)
            yield return new OracleCase("feature:" + id, template, (JsonObject)data.DeepClone());
    }
}
