#!/usr/bin/env bash
# The wheels a GPU machine reached by small transfers lacks (it has torch, transformers and accelerate),
# at the versions the tests passed with (constraints.txt), into DIR (about 8 MB):
#
#   configs/default_model/gpu_wheels.sh DIR
#
# There: python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site DIR/*.whl
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
pip download -q --no-deps -c "$REPO/constraints.txt" -d "$1" diffusers soundfile cffi pycparser soxr
