#!/usr/bin/env bash
# Runs every test. Tests that need ../shared (fixtures, traces) find it through
# STRATA_FIXTURES / STRATA_TRACES and skip visibly when it is absent;
# STRATA_REQUIRE_FIXTURES=1 (set by CI) turns those skips into failures.
set -euo pipefail
cd "$(dirname "$0")/.."
# The report tables (fixture agreement, KV spill, AMX deviation, ...) are
# appended to by each test process: start afresh.
rm -f build/test_scratch/*.md
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
