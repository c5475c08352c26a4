#!/usr/bin/env python3
"""Independent writer for SftLab's dataset-loader tests: converts a JSONL file to another layout with
Python's standard library only (json, csv, gzip), so the C# reader is checked against files it did not write.

usage: convert.py IN.jsonl LAYOUT OUT
LAYOUT: csv | tsv  (header row; list or object values are written as JSON text in the cell)
        json       (one indented JSON array: elements span several lines)
        jsonl.gz   (the same lines, gzip-compressed)
"""
import csv
import gzip
import json
import sys


def main():
    src, layout, out = sys.argv[1:4]
    with open(src, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if layout in ("csv", "tsv"):
        columns = []
        for r in rows:
            for k in r:
                if k not in columns:
                    columns.append(k)
        with open(out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="," if layout == "csv" else "\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            w.writerow(columns)
            for r in rows:
                cells = []
                for k in columns:
                    v = r.get(k, "")
                    cells.append(json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("" if v is None else str(v)))
                w.writerow(cells)
    elif layout == "json":
        with open(out, "w", encoding="utf-8") as f:
            json.dump(rows, f, ensure_ascii=False, indent=2)
    elif layout == "jsonl.gz":
        with gzip.open(out, "wt", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    else:
        sys.exit(f"unknown layout {layout}")


if __name__ == "__main__":
    main()
