#!/usr/bin/env bash
# Installs an app's production dependencies from its pruned package-lock.json into <dir>/node_modules:
# the dependency layer of the image (and of the recipe test that runs without Docker).
#
#   deploy/docker/install-deps.sh <dir>
set -euo pipefail
dir="${1:?usage: install-deps.sh <dir>}"
cd "$dir"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund
npm cache clean --force >/dev/null 2>&1 || true
