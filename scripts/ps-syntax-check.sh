#!/usr/bin/env bash
# Syntax check of the collector's PowerShell scripts (collector/src/plan.rs `PS_*`) with
# tree-sitter's PowerShell grammar (npm: web-tree-sitter and tree-sitter-powershell's WASM build,
# versions pinned in scripts/ps-syntax/package-lock.json; no native build). PowerShell itself
# cannot be installed here (no dotnet in Debian, NuGet unreachable), so the scripts are parsed,
# not run. Needs node and npm; installs into scripts/ps-syntax/node_modules (git-ignored), ~5 s.
set -euo pipefail
cd "$(dirname "$0")/ps-syntax"
if [ ! -d node_modules/tree-sitter-powershell ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi
node --no-warnings check.mjs ../../collector/src/plan.rs
