#!/usr/bin/env bash
# Reruns the tokenizer parity suite against the live JavaScript references: drops the cached
# reference outputs (build/oracles/tokenizers), regathers the Debian corpus, recomputes the
# references (@huggingface/tokenizers, js-tiktoken) and runs every tokenizer test.
# usage: tests/oracles/tokenizers/run-parity.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
rm -rf "$ROOT/build/oracles/tokenizers" "$ROOT/build/corpus-tokenizers"
exec "$ROOT/test.sh" --filter "FullyQualifiedName~SftLab.Tests.Tokenization"
