#!/usr/bin/env bash
# Soak test: ten minutes (or SECONDS given) of mixed load against a release build on the demo town —
# tiles across zooms, paged lists, coverage/gaps/karte with varied questions, site writes, imports and
# hostile requests from 4 bounded clients on loopback. Fails on any 5xx other than 503/504 or on a
# lost acknowledged write (checked again after kill -9), or when resident memory grows by more than 20 %
# after warm-up (the first third); prints it every 10 s. CI runs the same test for 60 s in `cargo test`.
#   bash scripts/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK_SECONDS=${1:-600} cargo test --release --test soak -- --nocapture
