#!/usr/bin/env bash
# Create the virtual environments of the peer frameworks for benchmarks/run.py, on request only
# (they download several hundred MB). Nothing here runs in CI.
#
#   bash benchmarks/setup_peers.sh keras     # benchmarks/.venv-keras: tensorflow-cpu + keras
#   bash benchmarks/setup_peers.sh torch     # benchmarks/.venv-torch: torch (only if the main
#                                            # interpreter has no torch)
#   bash benchmarks/setup_peers.sh all
#
# PYTHON picks the interpreter the venvs are made from (default: python3). Versions are pinned to
# the ones the issue's figures were measured with; override with KERAS_PINS / TORCH_PINS.
# run.py finds benchmarks/.venv-keras by itself (else /work/kerasenv, else --keras-python PATH).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
KERAS_PINS="${KERAS_PINS:-tensorflow-cpu==2.21.0 keras==3.15.1}"
TORCH_PINS="${TORCH_PINS:-torch==2.13.0}"
# threadpoolctl lets each workload report which BLAS kernel its NumPy runs
COMMON="numpy threadpoolctl"

make_venv() {  # make_venv DIR PACKAGES...
    local dir="$1"
    shift
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import sys" 2>/dev/null; then
        echo "$dir exists; installing/updating: $*"
    else
        echo "creating $dir with $("$PYTHON" --version)"
        "$PYTHON" -m venv "$dir"
    fi
    "$dir/bin/python" -m pip install -q --upgrade pip
    # shellcheck disable=SC2086
    "$dir/bin/python" -m pip install -q $COMMON "$@"
    echo "ready: $dir/bin/python"
}

setup_keras() {
    # shellcheck disable=SC2086
    make_venv .venv-keras $KERAS_PINS
    .venv-keras/bin/python -c "import keras, tensorflow as tf; print('keras', keras.__version__, \
'tensorflow', tf.__version__, 'backend', keras.backend.backend())"
}

setup_torch() {
    if "$PYTHON" -c "import torch" 2>/dev/null; then
        echo "$PYTHON already imports torch $("$PYTHON" -c 'import torch; print(torch.__version__)');" \
             "run.py uses it (no venv made)"
        return
    fi
    # shellcheck disable=SC2086
    make_venv .venv-torch $TORCH_PINS
}

case "${1:-}" in
    keras) setup_keras ;;
    torch) setup_torch ;;
    all) setup_keras; setup_torch ;;
    *)
        echo "usage: bash benchmarks/setup_peers.sh {keras|torch|all}" >&2
        exit 2
        ;;
esac
