#!/usr/bin/env bash
# Every `sh` block of README.md and of the docs it links runs as written
# (tests/doc_commands.py says how, and which few commands are skipped and why).
set -euo pipefail
ceasim=${1:?usage: cli_docs.sh CEASIM}
src=${CEASIM_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
exec "${CEASIM_PYTHON:-/usr/bin/python3}" "$src/tests/doc_commands.py" "$src" "$ceasim"
