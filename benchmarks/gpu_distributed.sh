#!/usr/bin/env bash
# minigrad.distributed on a GPU machine (issue 21), in about two minutes:
#
#   1. 1 rank, NCCL:  the GPU checks (tests/distributed/gpu/nccl.py) under mpiexec -n 1
#   2. 1 process:     the distributed tests of one process, on CuPy arrays
#   3. 2 ranks sharing the GPU, host buffers over MPI: the GPU checks, then the two-rank
#                     tests (tests/distributed/two_ranks/) on CuPy arrays
#   4. allreduce timing of GPU arrays: NCCL (1 rank) and host buffers (2 ranks)
#
# Writes "$OUT/distributed.md" (a short report) and "$OUT/distributed.log" (everything).
# Needs no network and no installed minigrad (PYTHONPATH=$PWD). MPI: the wheels carried
# in .whl/ (MPICH and mpi4py for the machine's Python, installed into /tmp/site), or the
# machine's mpi4py and mpiexec when no wheel is there or they do not run.
#
#   OUT=/tmp/out bash benchmarks/gpu_distributed.sh
#   DRY=1 bash benchmarks/gpu_distributed.sh       # no GPU: the MPI parts on the CPU
#
# Knobs: PYTHON (default python3), WHEELS (default .whl), MPI_FROM (auto | wheels | machine),
# BUDGET (seconds for everything, default 270: steps still to run when it is spent are skipped
# and say so in the report; a normal run takes about two minutes).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
LOG=$OUT/distributed.log
REPORT=$OUT/distributed.md
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-$ROOT/.whl}
MPI_FROM=${MPI_FROM:-auto}
DRY=${DRY:-0}
BUDGET=${BUDGET:-270}   # seconds for the whole script: each step's timeout is cut to fit
: >"$LOG"
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONUNBUFFERED=1
# MPI carries host buffers only (CuPy arrays reach it through host copies), so MPICH need
# not set up its own GPU support
export MPIR_CVAR_ENABLE_GPU=0
# in case the machine's MPI is Open MPI: it refuses root and more ranks than cores otherwise
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
ROWS=()
LAST_JSON=

say() { echo "$*" | tee -a "$LOG"; }

hello_mpi() {  # 2 ranks that see each other, within 60 s
  timeout 60 mpiexec -n 2 "$PYTHON" -c \
    "from mpi4py import MPI; assert MPI.COMM_WORLD.Get_size() == 2" >>"$LOG" 2>&1
}

unpack_wheels() {  # without pip: a wheel is a zip, its .data/data/ holds bin/, lib/, include/
  "$PYTHON" - "$@" >>"$LOG" 2>&1 <<'EOF'
import os, sys, sysconfig, zipfile
site = sysconfig.get_path("purelib", vars={"base": "/tmp/site", "platbase": "/tmp/site"})
for wheel in sys.argv[1:]:
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            parts = info.filename.split("/")
            if info.is_dir():
                continue
            if parts[0].endswith(".data"):
                root = "/tmp/site" if parts[1] == "data" else site
                target = os.path.join(root, *parts[2:])
            else:
                target = os.path.join(site, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                dst.write(src.read())
            executable = parts[-2:-1] == ["bin"] or info.external_attr >> 16 & 0o111
            os.chmod(target, 0o755 if executable else 0o644)
print("unpacked", *sys.argv[1:], "into /tmp/site")
EOF
}

use_wheels() {
  ls "$WHEELS"/mpich-*.whl "$WHEELS"/mpi4py-*.whl >/dev/null 2>&1 || return 1
  rm -rf /tmp/site
  if [ "${INSTALL:-pip}" != unzip ]; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
      --ignore-installed --prefix /tmp/site "$WHEELS"/mpich-*.whl "$WHEELS"/mpi4py-*.whl \
      >>"$LOG" 2>&1 || { rm -rf /tmp/site; INSTALL=unzip; }
  fi
  [ "${INSTALL:-pip}" != unzip ] || unpack_wheels "$WHEELS"/mpich-*.whl "$WHEELS"/mpi4py-*.whl ||
    return 1
  local site
  site=$(ls -d /tmp/site/lib/python3*/site-packages 2>/dev/null | head -1)
  [ -n "$site" ] || return 1
  # --prefix puts mpiexec in /tmp/site/bin and libmpi in /tmp/site/lib; mpi4py is told
  # which libmpi to take (a machine's own MPI could otherwise be found first)
  export PYTHONPATH=$site:$PYTHONPATH PATH=/tmp/site/bin:$PATH
  export LD_LIBRARY_PATH=/tmp/site/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export MPI4PY_LIBMPI=/tmp/site/lib/libmpi.so.12
  hello_mpi
}

forget_wheels() {
  export PYTHONPATH=${PYTHONPATH#/tmp/site/lib/python3*/site-packages:}
  export PATH=${PATH#/tmp/site/bin:}
  unset MPI4PY_LIBMPI
}

PYTHON_BIN=$(dirname "$(command -v "$PYTHON")")
if ! command -v mpiexec >/dev/null && [ -x "$PYTHON_BIN/mpiexec" ]; then
  export PATH=$PATH:$PYTHON_BIN   # a venv's mpiexec (pip install mpich) beside its python
fi
MPI_SOURCE=none
if [ "$MPI_FROM" != machine ] && use_wheels; then
  MPI_SOURCE="carried wheels ($(cd "$WHEELS" && ls mpich-*.whl mpi4py-*.whl | tr '\n' ' '))"
elif forget_wheels; [ "$MPI_FROM" != wheels ] && command -v mpiexec >/dev/null && hello_mpi; then
  MPI_SOURCE="the machine's mpi4py and $(command -v mpiexec)"
fi
say "MPI from: $MPI_SOURCE"

if [ "$DRY" = 1 ]; then
  BACKEND=numpy
  export MINIGRAD_GPU_CHECK_DEVICE=cpu
  DEVICE_ARG=(--device cpu)
else
  BACKEND=cupy
  DEVICE_ARG=()
fi

ENVIRONMENT=$("$PYTHON" - 2>&1 <<'EOF'
import platform
print("python", platform.python_version())
try:
    import cupy
    from cupy.cuda import nccl
    print("cupy", cupy.__version__, "| CUDA runtime", cupy.cuda.runtime.runtimeGetVersion(),
          "| GPUs", cupy.cuda.runtime.getDeviceCount(),
          "|", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
    print("nccl available", nccl.available,
          "| version", nccl.get_version() if nccl.available else "-")
except Exception as e:  # the report says what is missing
    print("cupy/nccl:", type(e).__name__, e)
try:
    import mpi4py
    from mpi4py import MPI
    print("mpi4py", mpi4py.__version__, "from", mpi4py.__file__)
    print("MPI", MPI.Get_library_version().splitlines()[0].strip())
except Exception as e:
    print("mpi4py:", type(e).__name__, e)
EOF
)
say "$ENVIRONMENT"

step() {  # step NAME TIMEOUT COMMAND...: run, log, keep one report row
  local name=$1 limit=$2
  shift 2
  say ""
  say "== $name: $*"
  local left=$((BUDGET - SECONDS))
  if [ "$left" -lt 15 ]; then
    ROWS+=("| $name | SKIPPED | out of time (BUDGET=$BUDGET s) | 0 |")
    say "-> skipped: out of time"
    return
  fi
  [ "$limit" -le "$left" ] || limit=$left
  local start=$SECONDS out rc
  out=$(timeout "$limit" "$@" 2>&1)
  rc=$?
  echo "$out" >>"$LOG"
  LAST_JSON=$(echo "$out" | grep -E '^\{' | tail -n 1)
  local summary
  summary=$(echo "$out" | grep -E "^[0-9]+ (passed|failed)|^=+ .*(passed|failed|error)" | tail -n 1 |
            tr -d '=' | sed 's/^ *//')
  [ -n "$LAST_JSON" ] && summary="figures below"
  [ -n "$summary" ] || summary=$(echo "$out" | tail -n 1 | cut -c1-120)
  local status=ok
  [ $rc -eq 0 ] || status="FAILED (exit $rc)"
  [ $rc -eq 124 ] && status="TIMED OUT after ${limit}s"
  ROWS+=("| $name | $status | $summary | $((SECONDS - start)) |")
  say "-> $status: $summary"
  echo "$out" | grep -E "NCCL used" | sort -u | tee -a "$LOG" >>"$OUT/nccl-lines.txt"
}

: >"$OUT/nccl-lines.txt"
PYTEST=(-m pytest -q -p no:cacheprovider -rs)
CASES=$(ls tests/distributed/two_ranks/*.py | grep -v -e __init__ -e conftest -e fault)
if [ "$MPI_SOURCE" != none ]; then
  step "1 rank, NCCL: GPU checks" 90 mpiexec -n 1 "$PYTHON" "${PYTEST[@]}" -s \
    tests/distributed/gpu/nccl.py
fi
step "1 process: distributed tests on $BACKEND" 100 "$PYTHON" "${PYTEST[@]}" \
  --backend="$BACKEND" tests/distributed tests/functions/test_gradients.py \
  -k "not two_ranks and (not test_gradients or sync_batch_norm or all_reduce)"
if [ "$MPI_SOURCE" != none ]; then
  step "2 ranks, one GPU: GPU checks" 90 mpiexec -n 2 "$PYTHON" "${PYTEST[@]}" -s \
    tests/distributed/gpu/nccl.py
  # shellcheck disable=SC2086
  step "2 ranks, one GPU: two-rank tests on $BACKEND" 200 mpiexec -n 2 "$PYTHON" \
    "${PYTEST[@]}" --backend="$BACKEND" $CASES
  step "allreduce timing, 1 rank" 40 mpiexec -n 1 "$PYTHON" benchmarks/bench_distributed.py \
    --worker device-allreduce --repeat 10 ${DEVICE_ARG[@]+"${DEVICE_ARG[@]}"}
  TIMING1=$LAST_JSON
  step "allreduce timing, 2 ranks" 40 mpiexec -n 2 "$PYTHON" benchmarks/bench_distributed.py \
    --worker device-allreduce --repeat 10 ${DEVICE_ARG[@]+"${DEVICE_ARG[@]}"}
  TIMING2=$LAST_JSON
fi

{
  echo "# minigrad.distributed on $( [ "$DRY" = 1 ] && echo "the CPU (dry run, no GPU)" || echo "the GPU")"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname). MPI from: $MPI_SOURCE."
  echo
  echo '```'
  echo "$ENVIRONMENT"
  echo '```'
  echo
  echo "| step | status | result | seconds |"
  echo "|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "NCCL, as each rank found it:"
  echo
  sed 's/^/    /' "$OUT/nccl-lines.txt"
  if [ -n "${TIMING1:-}" ]; then
    echo
    echo "Allreduce of float32 arrays on the device (ms, algorithm bandwidth GB/s):"
    echo
    "$PYTHON" - "$TIMING1" "${TIMING2:-}" <<'EOF'
import json, sys
for text in sys.argv[1:]:
    if not text.strip():
        continue
    r = json.loads(text)
    cells = ", ".join(f"{row['kb'] // 1024 if row['kb'] >= 1024 else row['kb']}"
                      f"{' MB' if row['kb'] >= 1024 else ' KB'}: {row['ms']:.3f} ms "
                      f"({row['algbw_gbs']:.1f} GB/s)" for row in r["allreduce"])
    print(f"- {r['ranks']} rank(s) on {r['device']}, {r['path']}: {cells}")
EOF
  fi
  echo
  echo "One GPU cannot test NCCL between devices: with 1 rank NCCL's all-reduce is a copy;"
  echo "2 ranks sharing the GPU take the MPI host-buffer path (NCCL refuses one GPU twice)."
} >"$REPORT"
rm -f "$OUT/nccl-lines.txt"
say ""
cat "$REPORT" | tee -a "$LOG"
