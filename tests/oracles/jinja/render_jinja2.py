"""Second reference for SftLab's chat-template tests: the real Jinja2 (Debian's python3-jinja2), configured the
way transformers renders chat templates: ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, loop
controls, a {% generation %} block, raise_exception, strftime_now, and a tojson that keeps key order and does not
escape non-ASCII. Reads [{"template", "context"}] from the file in argv[1]; prints [{"ok": text} | {"error": msg}]."""
import json
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class GenerationBlock(Extension):
    """{% generation %}...{% endgeneration %}: renders its body unchanged (SftLab's tests only need the text)."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, "jinja2.ext.loopcontrols"])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

cases = json.load(open(sys.argv[1], encoding="utf-8"))
compiled = {}
results = []
for case in cases:
    try:
        t = compiled.get(case["template"])
        if t is None:
            t = compiled[case["template"]] = env.from_string(case["template"])
        results.append({"ok": t.render(**case["context"])})
    except Exception as e:  # noqa: BLE001 - every failure is a result to compare
        results.append({"error": f"{type(e).__name__}: {e}"})
sys.stdout.write(json.dumps(results, ensure_ascii=False))
