#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, when they are missing (needs root, as on CI):
#   tmux        the CLI test reads `parc submit --wait`'s progress bar from a pseudo-terminal
#   chromium    the dashboard's browser test (tests/e2e/dashboard.int.spec.ts) drives it with playwright-core
#   prometheus  brings promtool, which checks and unit-tests the alert rules (tools/observability)
#   podman runc debootstrap docker-compose
#               the container test (npm run test:containers): base images from debootstrap, the
#               app images built and run with Podman (runc: crun cannot run here), and
#               docker-compose.yml brought up by Compose on Podman's Docker API
# A test whose package is missing fails and names the apt-get command; it never skips.
set -euo pipefail
missing=()
command -v tmux >/dev/null || missing+=(tmux)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v promtool >/dev/null || missing+=(prometheus)
for tool in podman runc debootstrap docker-compose; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: tmux, chromium, promtool, podman, runc, debootstrap and docker-compose present"
  exit 0
fi
echo "system packages: installing ${missing[*]} from Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
