#!/usr/bin/env bash
# The README's conformance table: `redsim conform --json` on every bundled scenario (or those
# given), two at a time, then one markdown row per scenario: the verdict counts and each field
# that differs, with its real and simulated values. Needs what `redsim conform` needs (root, ip,
# iptables, redis-server, python3); extra arguments after `--` go to every conform run
# (e.g. `-- --redis-server /path/to/valkey-server`).
#   scripts/conform-table.sh [SCENARIO ...] [-- CONFORM-ARGS ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scenarios=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do scenarios+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#scenarios[@]} -eq 0 ] && scenarios=(traces/*.toml)
out=${CONFORM_OUT:-target/conform-table}
mkdir -p "$out"
cargo build -q --release --bin redsim
printf '%s\n' "${scenarios[@]}" | xargs -P 2 -I{} sh -c \
  'n=$(basename {} .toml); ./target/release/redsim conform {} --json -o "$0/$n" "$@" > "$0/$n.json" 2> "$0/$n.err" || true' \
  "$out" "$@"
python3 - "$out" "${scenarios[@]}" <<'PY'
import json, os, sys
out, scenarios = sys.argv[1], sys.argv[2:]
print("| scenario | same | within spread | differ | what differs (real / simulated) |")
print("|---|---|---|---|---|")
for s in scenarios:
    name = os.path.basename(s)[:-5]
    try:
        c = json.load(open(f"{out}/{name}.json"))
    except (OSError, ValueError):
        err = open(f"{out}/{name}.err").read().strip().splitlines()
        print(f"| {name} | | | | not run: {err[-1] if err else 'no output'} |")
        continue
    rows = c["rows"]
    n = lambda v: sum(r["verdict"] == v for r in rows)
    def show(v):
        if isinstance(v, dict):
            lo, hi = v.get("min"), v.get("max")
            return "absent" if lo is None else (f"{lo}" if lo == hi else f"{lo}..{hi}") + (" or absent" if v.get("absent") else "")
        return ", ".join("absent" if x is None else json.dumps(x) for x in v)
    diffs = "; ".join(f"`{r['field']}` {show(r['real'])} / {show(r['simulated'])}" for r in rows if r["verdict"] == "differs")
    caveats = sorted({w for o in c["real"] for w in o.get("warnings", []) if "netem" not in w})
    note = (diffs + ("; " if diffs and caveats else "") + "; ".join(f"caveat: {w}" for w in caveats)) or "-"
    print(f"| {name} | {n('same')} | {n('within spread')} | {n('differs')} | {note} |")
PY
