#!/usr/bin/env bash
# Category classifier (issue 6 item 3): grouped 5-fold cross-validation on the training data, the
# dev-set report, and the training time. Fails when the dev set falls under the test gate.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DJANGO_SETTINGS_MODULE=gridgov.settings
uptime
.venv/bin/python -m gridgov.classify.crossval --folds 5
.venv/bin/python manage.py classifier_report --retrain | tee var/verify/classifier-report.txt
.venv/bin/python - <<'PY'
import re, sys
text = open("var/verify/classifier-report.txt", encoding="utf-8").read()
top1, top3 = (float(x) / 100 for x in re.search(r"top-1 ([\d.]+)%; top-3 ([\d.]+)%", text).groups())
sys.path.insert(0, ".")
from tests.test_classifier import TOP1_GATE, TOP3_GATE
ok = top1 >= TOP1_GATE and top3 >= TOP3_GATE
print(f"dev top-1 {top1:.1%} (gate {TOP1_GATE:.0%}), top-3 {top3:.1%} (gate {TOP3_GATE:.0%}): {'ok' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
