#!/usr/bin/env bash
# Regenerates the pictures of docs/tour.md from real runs under Tine:
# `cargo xtask trace --svg` of each demo, its three panels copied here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
for demo in forkdemo cowdemo vforkdemo threadsdemo forktree; do
    args=()
    [ "$demo" = cowdemo ] && args=(4 25) # 4 MiB, a quarter written: 256 copies
    flock /tmp/tine-qemu.lock cargo xtask trace --svg "$demo" "${args[@]}" >/dev/null
    for panel in tree cow steps; do
        cp "build/trace/$demo/$panel.svg" "docs/tour/$demo-$panel.svg"
    done
done
