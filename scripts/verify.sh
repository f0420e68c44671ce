#!/usr/bin/env bash
# `make verify`: the heavy proofs of issue 7, one after another (load, crash, hostile input, access,
# deploy posture, backups). Each part is one script in bench/verify/, run in name order; each prints
# its figures and exits non-zero when a proof fails. `make test` (CI) runs a quick version of each as
# ordinary tests; this runs them at full size. VERIFY_ONLY=load,crash runs a subset.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/verify
failed=()
for part in bench/verify/*.sh; do
  name=$(basename "$part" .sh); name=${name#*-}
  if [ -n "${VERIFY_ONLY:-}" ] && [[ ",$VERIFY_ONLY," != *",$name,"* ]]; then continue; fi
  echo "== verify: $name ($(date -u +%H:%M:%S) UTC)"
  if bash "$part" 2>&1 | tee "var/verify/$name.log"; then echo "== $name: ok"; else echo "== $name: FAILED"; failed+=("$name"); fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "verify failed: ${failed[*]}"; exit 1; fi
echo "verify: every part passed (logs in var/verify/)"
