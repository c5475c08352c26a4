// Generic reference encoder for component tests: @huggingface/tokenizers on any tokenizer.json.
// usage: node encode.mjs REQUEST.json OUT.json
// REQUEST: [{"name", "tokenizer": path, "config": path|null, "texts": [...], "add_special_tokens": bool}]
// OUT:     {"<name>": {"ids": [[...] per text], "decoded": [string per text]}}
// A request whose texts hold {"utf16": [...]} instead of a string gets that UTF-16 string.
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [requestPath, outPath] = process.argv.slice(2);
const request = JSON.parse(readFileSync(requestPath, "utf8"));
const out = {};
for (const r of request) {
  const tok = new Tokenizer(JSON.parse(readFileSync(r.tokenizer, "utf8")), r.config ? JSON.parse(readFileSync(r.config, "utf8")) : {});
  const texts = r.texts.map((t) => (typeof t === "string" ? t : String.fromCharCode(...t.utf16)));
  const ids = texts.map((t) => tok.encode(t, { add_special_tokens: r.add_special_tokens ?? true }).ids);
  out[r.name] = {
    ids,
    decoded: ids.map((x) => (x.length === 0 ? "" : tok.decode(x, { clean_up_tokenization_spaces: false }))),
  };
}
writeFileSync(outPath + ".tmp", JSON.stringify(out));
renameSync(outPath + ".tmp", outPath);
