#!/usr/bin/env bash
# The main job: sets up (idempotently), then runs the SFT tutorial end to end on the kit's embedded
# base model (models/sftlab-tiny): fine-tune it on the Fernhollow conversations (with and without
# retrieved documents), then compare SFT with zero-shot, few-shot and RAG on the held-out test set.
# Writes build/main/{sft,sft-rag}/report.html (training curves) and build/main/compare/report.html.
# A few minutes on 2 CPU cores. `./run.sh demo` runs the smoke demo instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
if [[ "${1:-}" == "demo" ]]; then shift; exec ./sftlab demo "$@"; fi
./sftlab --version
./sftlab train --config jobs/fernhollow-sft.json
./sftlab train --config jobs/fernhollow-sft-rag.json
./sftlab compare --config jobs/fernhollow-compare.json
echo
echo "Reports: build/main/sft/report.html, build/main/sft-rag/report.html, build/main/compare/report.html"
