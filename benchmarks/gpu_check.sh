#!/usr/bin/env bash
# The GPU check of minigrad: tests on CuPy, exact resume on CUDA, the MNIST example on
# CUDA, the MLP / CNN training step against PyTorch CUDA, and each CuPy kernel special
# case against its generic form, in about five minutes (at most about eight); the
# stages and the report are in benchmarks/gpu_check.py.
#
#   bash benchmarks/gpu_check.sh          # from anywhere; report and logs in $OUT
#   bash benchmarks/gpu_check.sh --dry    # on a machine without a GPU: the same stages, tiny
#
# It needs no network. What the GPU machine lacks (array-api-strict, for the tests that
# name the "strict" device) is carried as wheels in .whl/ at the repository root (ignored
# by git), downloaded beforehand on a machine with network:
#
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#       --platform manylinux2014_x86_64 --platform any -d .whl array-api-strict==2.6.1
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

wheels=(.whl/*.whl)
if [ -e "${wheels[0]}" ]; then
    site=$(mktemp -d /tmp/minigrad-site.XXXXXX)
    if ! python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target "$site" "${wheels[@]}"; then
        echo "pip could not install the carried wheels; unpacking them instead"
        python3 -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]' \
            "$site" "${wheels[@]}"
    fi
    export PYTHONPATH="$site:$PYTHONPATH"
fi

timeout 30 nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not available"
python3 --version
exec python3 benchmarks/gpu_check.py --out "$OUT" "$@"
