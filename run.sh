#!/usr/bin/env bash
# The main job: sets up (idempotently), then runs the SftLab demo. Extra arguments go to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$ROOT/scripts/setup.sh"
exec "$ROOT/sftlab" demo "$@"
