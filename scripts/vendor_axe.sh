#!/usr/bin/env bash
# Vendor axe-core (the accessibility engine the browser tests run) into static/vendor/axe/:
# the pinned version from the npm registry, with its licence. Served by the project, never a CDN.
set -euo pipefail
VERSION="${AXE_VERSION:-4.10.3}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$HERE/static/vendor/axe"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar -xzf "axe-core-$VERSION.tgz")
mkdir -p "$OUT"
cp "$WORK/package/axe.min.js" "$OUT/axe.min.js"
cp "$WORK/package/LICENSE" "$OUT/LICENSE"
printf 'axe-core %s (MPL-2.0), from the npm registry by scripts/vendor_axe.sh; used by the browser tests only.\n' "$VERSION" > "$OUT/README.md"
echo "axe-core $VERSION -> $OUT"
