#!/usr/bin/env python3
"""Gathers the tokenizer parity corpus from text that ships with Debian packages.

Nobody in this project wrote this text: license texts (base-files), translated message catalogs
of GNU and Debian tools in ~100 languages and many scripts (.mo files of coreutils, libc, tar,
grep, dpkg, apt, iso-codes ...), man pages (manpages) and C headers (libc6-dev). Every package
listed here is on the base Debian 12 image that the project's machines and CI start from.

The result is deterministic for given package versions: files are taken in sorted order from
`dpkg-query -L`, each capped at a byte budget, and written as JSON lines
{"source": path, "text": ...} to OUT (default build/corpus-tokenizers/corpus.jsonl). The file is
rewritten only when its content changes, so callers can run this script every time.

Usage: python3 datasets/corpus-tokenizers/gather.py [--out PATH] [--min-bytes N]
"""
import argparse
import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys

# (package, kind, byte cap per file, byte cap for the whole source)
SOURCES = [
    ("base-files", "license", 60_000, 400_000),
    ("coreutils", "mo", 18_000, 800_000),
    ("libc-l10n", "mo", 9_000, 330_000),
    ("iso-codes", "mo-iso3166", 6_000, 600_000),
    ("tar", "mo", 4_000, 150_000),
    ("dpkg", "mo", 4_000, 150_000),
    ("apt", "mo", 4_000, 150_000),
    ("manpages", "man", 20_000, 450_000),
    ("libc6-dev", "header", 12_000, 350_000),
]


def package_files(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-L", pkg], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"gather.py: cannot list the files of Debian package {pkg!r} ({e}); is it installed?")
    return sorted(f for f in out.splitlines() if f and os.path.isfile(f) and not os.path.islink(f))


def read_mo(path):
    """Returns the translated strings (msgstr) of a GNU .mo catalog, decoded with its charset."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic == 0x950412DE else ">"
    _, count, orig_off, trans_off = struct.unpack(endian + "4I", data[4:20])
    entries = []
    for i in range(count):
        olen, opos = struct.unpack(endian + "2I", data[orig_off + 8 * i: orig_off + 8 * i + 8])
        tlen, tpos = struct.unpack(endian + "2I", data[trans_off + 8 * i: trans_off + 8 * i + 8])
        entries.append((data[opos:opos + olen], data[tpos:tpos + tlen]))
    charset = "utf-8"
    for orig, trans in entries:
        if orig == b"":
            for line in trans.decode("ascii", "replace").splitlines():
                if line.lower().startswith("content-type:") and "charset=" in line:
                    charset = line.split("charset=")[1].strip() or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        charset = "utf-8"
    texts = []
    for orig, trans in entries:
        if orig == b"" or not trans:
            continue
        for part in trans.split(b"\0"):  # plural forms
            texts.append(part.decode(charset, "replace"))
    return "\n".join(texts)


def cap(text, limit):
    b = text.encode("utf-8")
    if len(b) <= limit:
        return text
    cut = b[:limit].decode("utf-8", "ignore")
    nl = cut.rfind("\n")
    return cut[: nl + 1] if nl > limit // 2 else cut


def documents():
    for pkg, kind, per_file, per_source in SOURCES:
        used = 0
        for f in package_files(pkg):
            if kind == "license" and not f.startswith("/usr/share/common-licenses/"):
                continue
            if kind.startswith("mo") and not f.endswith(".mo"):
                continue
            if kind == "mo-iso3166" and not f.endswith("/iso_3166-1.mo"):
                continue
            if kind == "man" and not (f.endswith(".gz") and "/man/man" in f):
                continue
            if kind == "header" and not f.endswith(".h"):
                continue
            if kind.startswith("mo"):
                text = read_mo(f)
            elif kind == "man":
                text = gzip.open(f).read().decode("utf-8", "replace")
            else:
                text = open(f, "rb").read().decode("utf-8", "replace")
            text = cap(text, min(per_file, per_source - used))
            if not text.strip():
                continue
            used += len(text.encode("utf-8"))
            yield {"source": f, "text": text}
            if used >= per_source:
                break


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(root, "build", "corpus-tokenizers", "corpus.jsonl"))
    ap.add_argument("--min-bytes", type=int, default=2_000_000)
    args = ap.parse_args()
    docs = list(documents())
    body = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode("utf-8")
    total = sum(len(d["text"].encode("utf-8")) for d in docs)
    if total < args.min_bytes:
        sys.exit(f"gather.py: only {total} bytes of text found, need at least {args.min_bytes}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    if not os.path.exists(args.out) or open(args.out, "rb").read() != body:
        tmp = args.out + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(body)
        os.replace(tmp, args.out)
    digest = hashlib.sha256(body).hexdigest()[:16]
    print(json.dumps({"path": args.out, "documents": len(docs), "bytes": total, "sha256": digest}))


if __name__ == "__main__":
    main()
