#!/usr/bin/env bash
# An honest over-budget run: drops MODEL from the page cache, then runs
# `strata ARGS… --ram-budget BUDGET` inside a cgroup v1 memory child of this
# process's cgroup whose limit is the budget plus 5% (page cache counts
# against it), and removes the child afterwards.
#
# Usage: scripts/run_over_budget.sh MODEL BUDGET_BYTES strata-subcommand [args…]
#   e.g. scripts/run_over_budget.sh big.gguf 6442450944 run -p "Hello" -n 32 --json
set -euo pipefail
model=$1 budget=$2
shift 2
strata="$(dirname "$0")/../build/strata"

python3 - "$model" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
PY

parent=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
root=/sys/fs/cgroup/memory
cg="$root$parent/strata-over-budget-$$"
limit=$((budget + budget / 20))
if mkdir "$cg" 2>/dev/null; then
  trap 'rmdir "$cg" 2>/dev/null || true' EXIT
  echo "$limit" > "$cg/memory.limit_in_bytes"
  echo "cgroup $cg: memory.limit_in_bytes=$limit" >&2
  status=0
  ( echo $BASHPID > "$cg/cgroup.procs"; exec "$strata" "$@" --model "$model" --ram-budget "$budget" ) || status=$?
  echo "cgroup max_usage_in_bytes=$(cat "$cg/memory.max_usage_in_bytes") failcnt=$(cat "$cg/memory.failcnt")" >&2
  exit $status
else
  echo "no cgroup v1 memory controller here: running without the cgroup limit" >&2
  exec "$strata" "$@" --model "$model" --ram-budget "$budget"
fi
