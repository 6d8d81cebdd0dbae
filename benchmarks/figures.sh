#!/usr/bin/env bash
# Re-run every command whose output is published in README.md, examples/README.md and docs/
# (the benchmark tables of benchmarks/RESULTS.md and docs/performance.md have their own
# scripts), one log per command, so that each figure can be checked against the code.
#
#   bash benchmarks/figures.sh [SECTION...] [--out DIR]
#
# Sections (default: quick):
#   quick   the MLP (seeds 0 and 1), its two-process run (seeds 0 and 1), the toolbox
#           comparison, the hyperparameter search, the learning-rate finder (Adam, SGD),
#           Newton's method, the ONNX export, the doc snippets' printed values and a
#           determinism check: about 20 minutes on 2 idle cores
#   cnn     the notes' CNN as the script runs it by default (12 epochs): 10 to 20 minutes
#   cnn-long the 30- and 40-epoch CNN runs of examples/README.md: about 10 hours
#
# Every run has one BLAS thread (OPENBLAS_NUM_THREADS=1 unless set otherwise), as the
# published commands say: OpenBLAS's results depend on its number of threads (the same
# bits for the same count), and its default, one thread per core, would tie the figures
# to the machine's core count; one thread also keeps a shared machine from stalling.
#
# Needs Fashion-MNIST on disk (apt-get install dataset-fashion-mnist) and, for the
# two-process runs, mpi4py with mpiexec beside python (pip install -e ".[distributed]").
# Logs go to DIR (default runs/figures/<commit>), with the commit and machine in info.txt.
set -u -o pipefail
cd "$(dirname "$0")/.."

sections=()
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        quick|cnn|cnn-long) sections+=("$1"); shift ;;
        *) echo "figures.sh: unknown argument $1 (sections: quick, cnn, cnn-long; --out DIR)" >&2
           exit 2 ;;
    esac
done
[ ${#sections[@]} -eq 0 ] && sections=(quick)
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- minigrad examples || echo "+changes")
out=${out:-runs/figures/$commit}
mkdir -p "$out"
{
    echo "commit: $commit ($(git log -1 --format=%cd --date=iso))"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    ${PYTHON:-python} -c "import numpy; blas = numpy.show_config('dicts')['Build Dependencies']['blas'];
print('numpy', numpy.__version__, 'with', blas['name'], blas['version'])"
    echo "BLAS threads: $OPENBLAS_NUM_THREADS"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/info.txt"
cat "$out/info.txt"
PY=${PYTHON:-python}
FM=(--dataset fashion-mnist)

run() {  # run NAME COMMAND...: the command's output into NAME.log, its time on screen
    local name=$1; shift
    local started=$SECONDS
    echo "== $name: $*" | tee "$out/$name.log"
    "$@" >> "$out/$name.log" 2>&1
    local rc=$?
    echo "   exit $rc, $((SECONDS - started)) s"
    echo "exit $rc" >> "$out/$name.log"
}

figures() {  # a log's metrics without its times
    grep -E "^Epoch|^Test" "$1" | sed -E 's/ - [0-9.]+s - / - /'
}

quick() {
    run newton $PY examples/newton.py
    for seed in 0 1; do
        run mlp_seed$seed $PY examples/mnist_mlp.py "${FM[@]}" --seed $seed \
            --output-dir "$out/mlp_seed$seed"
    done
    # the same seed twice on the same machine: the same figures (3 epochs are enough)
    run mlp_again_a $PY examples/mnist_mlp.py "${FM[@]}" --epochs 3 --output-dir "$out/again"
    run mlp_again_b $PY examples/mnist_mlp.py "${FM[@]}" --epochs 3 --output-dir "$out/again"
    if diff <(figures "$out/mlp_again_a.log") <(figures "$out/mlp_again_b.log") >/dev/null; then
        echo "   same seed, same figures: yes"
    else
        echo "   same seed, same figures: NO (see mlp_again_a.log and mlp_again_b.log)"
    fi
    local mpiexec
    mpiexec=$(dirname "$(command -v "$PY")")/mpiexec
    if [ -x "$mpiexec" ]; then
        for seed in 0 1; do
            run distributed_seed$seed "$mpiexec" -n 2 $PY examples/mnist_distributed.py \
                "${FM[@]}" --seed $seed
        done
    else
        echo "== distributed: skipped (no mpiexec beside $PY)"
    fi
    run tricks_compare $PY examples/mnist_tricks.py "${FM[@]}" --compare --train-size 10000 \
        --epochs 5
    run search_random $PY examples/hyperparameter_search.py "${FM[@]}" --method random \
        --trials 8
    for opt in adam sgd; do
        run lr_finder_$opt $PY examples/lr_finder.py "${FM[@]}" --optimizer $opt \
            --output-dir "$out/lr_finder"
    done
    run export_onnx $PY examples/export_onnx.py "${FM[@]}" --output-dir "$out/onnx"
    run doc_outputs $PY benchmarks/doc_outputs.py README.md docs/*.md
}

cnn() {
    run cnn_12 $PY examples/mnist_cnn.py "${FM[@]}" --output-dir "$out/cnn_12"
}

cnn_long() {
    local cnn=($PY examples/mnist_cnn.py "${FM[@]}")
    run cnn_24 "${cnn[@]}" --epochs 24
    run cnn_flip_cosine_30 "${cnn[@]}" --flip --cosine --epochs 30
    run cnn_bn_cosine_30 "${cnn[@]}" --batchnorm --cosine --epochs 30
    for seed in 0 1 2; do
        run cnn_bn_flip_cosine_30_seed$seed "${cnn[@]}" --batchnorm --flip --cosine \
            --epochs 30 --seed $seed
    done
    for seed in 0 1; do
        run cnn_bn_flip_cosine_40_seed$seed "${cnn[@]}" --batchnorm --flip --cosine \
            --epochs 40 --seed $seed
    done
}

for section in "${sections[@]}"; do
    case "$section" in
        quick) quick ;;
        cnn) cnn ;;
        cnn-long) cnn_long ;;
    esac
done
echo "logs in $out"
