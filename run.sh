#!/usr/bin/env bash
# The main job: sets up (idempotently), then runs the SftLab demo. Extra arguments go to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$ROOT/scripts/setup.sh"
exec dotnet "$ROOT/src/SftLab.Cli/bin/${SFTLAB_CONFIGURATION:-Release}/net10.0/sftlab.dll" demo "$@"
