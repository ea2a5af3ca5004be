#!/usr/bin/env bash
# The Open LLM Leaderboard v2 scorers' extras (IFEval's checkers from lm-eval, Math-Verify for MATH), so the v2
# parity tests run instead of skipping.
set -euo pipefail
py=${PYTHON:-python3}
$py -m pip install -q -e '.[ifeval,math]'
