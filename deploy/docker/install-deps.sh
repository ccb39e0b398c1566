#!/usr/bin/env bash
# Installs an app's production dependencies from its pruned package-lock.json into <dir>/node_modules:
# the dependency layer of the image (and of the recipe test that runs without Docker).
#
#   deploy/docker/install-deps.sh <dir>
set -euo pipefail
dir="${1:?usage: install-deps.sh <dir>}"
cd "$dir"
# The npm cache is left alone: the image's RUN line clears it in its own layer, and a machine that
# runs this (the recipe test, for every app) keeps reusing it instead of downloading again.
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline
