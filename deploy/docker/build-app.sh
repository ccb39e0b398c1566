#!/usr/bin/env bash
# The build step of an app's image, shared by deploy/docker/Dockerfile and by
# tests/deploy/image-recipe.int.spec.ts, which runs it without Docker so that a broken recipe is
# caught where no Docker engine exists.
#
#   deploy/docker/build-app.sh <app> <out-dir>
#
# Bundles apps/<app> with esbuild (through Nx) and puts into <out-dir> what the image runs:
# main.js (+ source map) and the app's own package.json and package-lock.json, which list only
# the packages its libraries use (pruned per app from the workspace lockfile).
set -euo pipefail
app="${1:?usage: build-app.sh <app> <out-dir>}"
out="${2:?usage: build-app.sh <app> <out-dir>}"
if [ ! -f "apps/$app/project.json" ]; then
  echo "build-app: there is no app '$app' under apps/ (run from the repository root)" >&2
  exit 1
fi
NX_DAEMON=false NX_NO_CLOUD=true npx nx build "$app" --skip-nx-cache --outputStyle=static
rm -rf "$out"
mkdir -p "$out"
cp "dist/apps/$app/main.js" "dist/apps/$app/main.js.map" "dist/apps/$app/package.json" "dist/apps/$app/package-lock.json" "$out/"
