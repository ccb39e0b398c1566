#!/usr/bin/env bash
# Prints the path of a kubectl whose `kubectl kustomize` renders deploy/k8s. By default Debian's
# kubernetes-client (kubectl 1.20 with kustomize v2.0.3, the oldest kustomize we support: what
# renders with it renders with current ones too), fetched with `apt-get download` and extracted
# into a cache directory — not installed, so it cannot clash with another kubectl on the machine.
# PARC_KUBECTL=/path/to/kubectl uses that one instead.
set -euo pipefail
if [ -n "${PARC_KUBECTL:-}" ]; then echo "$PARC_KUBECTL"; exit 0; fi
cache="${PARC_KUBECTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/parc/kubectl-debian}"
bin="$cache/usr/bin/kubectl"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "Cannot fetch kustomize: apt-get/dpkg-deb not found. Set PARC_KUBECTL to a kubectl (1.20+) that has 'kubectl kustomize'." >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! apt-get download kubernetes-client >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get download kubernetes-client >/dev/null 2>&1 || {
    echo "Cannot fetch kustomize: 'apt-get download kubernetes-client' failed (no Debian package index or no access to it). Set PARC_KUBECTL to a kubectl that has 'kubectl kustomize'." >&2
    exit 1
  }
fi
mkdir -p "$cache"
dpkg-deb -x kubernetes-client_*.deb "$cache"
echo "$bin"
