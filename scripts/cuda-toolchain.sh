#!/usr/bin/env bash
# cuda-toolchain.sh: build footnote's `cuda` feature on a machine without a GPU or a CUDA install.
#
# What: fetches the CUDA 13.0 pieces that `cargo build --release --features cuda` needs (nvcc and
# cicc, CUDA/CCCL headers, cudart, cublas, curand, nvrtc) as NVIDIA's PyPI wheels, unpacks them
# into .cuda-toolchain/ at the repository root (gitignored; nothing is installed system-wide and
# no root is needed), generates a stub libcuda to link against, and sets up the environment.
#
# Why: candle links the CUDA libraries at build time (cudarc `dynamic-linking`) and compiles its
# kernels with nvcc, so a CUDA build needs a toolkit even where no GPU is present. The versions are
# pinned to CUDA 13.0 because the GPU machines we run on have driver 580 (= CUDA 13.0): PTX from a
# newer nvcc fails there with CUDA_ERROR_UNSUPPORTED_PTX_VERSION.
#
# How to use (from anywhere; paths are relative to the repository, not the current directory):
#   bash scripts/cuda-toolchain.sh build [cargo args]   set up, then cargo build --release --features cuda
#   source scripts/cuda-toolchain.sh                    set up, and export the environment into this shell
#   bash scripts/cuda-toolchain.sh [setup]              set up only (fetch, unpack, stub)
#   bash scripts/cuda-toolchain.sh env                  set up, then print the export lines
#
# Exported: CUDA_HOME, PATH (+$CUDA_HOME/bin), CUDA_COMPUTE_CAP (default 90 = H100/H200; set it
# beforehand to override), LIBRARY_PATH (link time: CUDA libs + the libcuda stub), LD_LIBRARY_PATH
# (CUDA libs only, never the stub), CARGO_TARGET_DIR=<repo>/target-cuda (so CPU and CUDA builds do
# not rebuild each other; the binary is target-cuda/release/footnote). Overrides:
# FOOTNOTE_CUDA_TOOLCHAIN_DIR (default <repo>/.cuda-toolchain), FOOTNOTE_CUDA_TARGET_DIR.
#
# Needs: python3 with pip (to download the wheels), gcc (to compile the stub; nvcc also uses
# gcc/g++ as its host compiler), network access to PyPI on the first run (~1.5 GB of wheels, most
# of it cublas), and cargo. Idempotent: each pinned wheel is fetched and unpacked once; later runs
# only check. The default (CPU) build does not need any of this.
#
# The binary this produces needs at run time (ldd) libcuda.so.1 (the NVIDIA driver), libcublas.so.13
# (which pulls in libcublasLt.so.13), libcurand.so.10 and libcudart.so.13; on a machine with a
# CUDA 13 install, LD_LIBRARY_PATH=/usr/local/cuda/lib64 supplies the latter.
# Without libcuda.so.1 the loader refuses to start it at all (even --help), so a GPU-less machine
# cannot run it. Its kernels are PTX for sm_90a (CUDA_COMPUTE_CAP=90): H100/H200 only. To carry it,
# strip it first (`strip` takes the release build with debuginfo from ~196 MB to ~58 MB; xz: ~8 MB).

# Pinned wheels: CUDA 13.0 Update 2 (nvcc/nvvm/crt/nvrtc 13.0.88, cudart 13.0.96, CCCL 13.0.85)
# and the 13.0-series cuBLAS/cuRAND. Only the sonames of the libraries matter for linking.
_FOOTNOTE_CUDA_WHEELS=(
    nvidia-cuda-nvcc==13.0.88
    nvidia-nvvm==13.0.88
    nvidia-cuda-crt==13.0.88
    nvidia-cuda-runtime==13.0.96
    nvidia-cuda-cccl==13.0.85
    nvidia-cuda-nvrtc==13.0.88
    nvidia-cublas==13.0.2.14
    nvidia-curand==10.4.0.35
)
_FOOTNOTE_NVCC_RELEASE=13.0

_footnote_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_footnote_tc="${FOOTNOTE_CUDA_TOOLCHAIN_DIR:-$_footnote_repo/.cuda-toolchain}"
_footnote_cuda_home="$_footnote_tc/root/nvidia/cu13"

_footnote_die() {
    echo "cuda-toolchain: error: $*" >&2
    exit 1
}

_footnote_log() {
    echo "cuda-toolchain: $*" >&2
}

_footnote_check_tools() {
    command -v python3 >/dev/null 2>&1 ||
        _footnote_die "python3 not found; install Python 3 with pip (used only to download the CUDA wheels)"
    python3 -m pip --version >/dev/null 2>&1 ||
        _footnote_die "pip not found for python3; install it (e.g. apt-get install python3-pip, or python3 -m ensurepip)"
    command -v gcc >/dev/null 2>&1 ||
        _footnote_die "gcc not found; install gcc and g++ (needed for the libcuda stub and as nvcc's host compiler)"
    command -v g++ >/dev/null 2>&1 ||
        _footnote_die "g++ not found; install g++ (nvcc's host compiler for the CUDA kernels)"
    command -v cargo >/dev/null 2>&1 ||
        _footnote_die "cargo not found; install the Rust toolchain (https://rustup.rs)"
}

# Downloads and unpacks one pinned wheel unless its stamp says it is already there.
_footnote_fetch_wheel() {
    local spec="$1"
    local stamp="$_footnote_tc/stamps/$spec"
    [[ -e "$stamp" ]] && return 0
    local dl="$_footnote_tc/download"
    rm -rf "$dl"
    mkdir -p "$dl" "$_footnote_tc/root" "$_footnote_tc/stamps"
    _footnote_log "fetching $spec"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$dl" "$spec" ||
        _footnote_die "pip download $spec failed (is PyPI reachable?)"
    local whl
    whl="$(find "$dl" -maxdepth 1 -name '*.whl' | head -n 1)"
    [[ -n "$whl" ]] || _footnote_die "pip download $spec produced no wheel"
    # Python's zipfile, with the Unix permission bits restored (nvcc, ptxas, cicc must stay
    # executable), so that `unzip` is not needed.
    python3 - "$whl" "$_footnote_tc/root" <<'EOF' || _footnote_die "could not unpack $whl"
import os, sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        path = z.extract(info, dest)
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(path, mode)
EOF
    rm -rf "$dl"
    touch "$stamp"
}

# Links libfoo.so -> libfoo.so.N where the wheels ship only the versioned name: the linker's
# `-lfoo` looks for the unversioned one.
_footnote_link_unversioned() {
    local lib="$_footnote_cuda_home/lib" f base
    for f in "$lib"/lib*.so.*; do
        [[ -e "$f" ]] || continue
        base="${f%%.so.*}.so"
        if [[ ! -e "$base" ]]; then
            # Prefer the shortest versioned name (libfoo.so.13 over libfoo.so.13.0.2).
            local best
            best="$(ls -1 "$base".* | awk '{ print length, $0 }' | sort -n | head -n 1 | cut -d' ' -f2-)"
            ln -s "$(basename "$best")" "$base"
        fi
    done
}

# The NVIDIA driver's libcuda has no wheel (it comes with the driver), but the binary must link
# against it. So we build a stand-in with the same soname, libcuda.so.1, that defines every driver
# function cudarc declares (the `extern "C"` names in its driver/sys bindings) as a function that
# does nothing and returns CUDA_ERROR_STUB_LIBRARY (34), like the stub in NVIDIA's own toolkit.
# It only satisfies the linker: it lives in lib/stubs/ as libcuda.so (no libcuda.so.1 file), which
# is on LIBRARY_PATH but never on LD_LIBRARY_PATH, so at run time the binary asks the loader for
# libcuda.so.1 and gets the real driver library of the GPU machine.
_footnote_make_stub() {
    local stubdir="$_footnote_cuda_home/lib/stubs"
    [[ -e "$stubdir/libcuda.so" ]] && return 0
    local ver src
    ver="$(awk '/^name = "cudarc"$/ { getline; gsub(/[^0-9.]/, "", $0); print; exit }' "$_footnote_repo/Cargo.lock")"
    [[ -n "$ver" ]] || _footnote_die "cudarc not found in Cargo.lock"
    src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-"$ver"/src/driver/sys/mod.rs 2>/dev/null | head -n 1 || true)"
    if [[ -z "$src" ]]; then
        _footnote_log "fetching crate sources (cargo fetch) to read cudarc $ver's driver bindings"
        (cd "$_footnote_repo" && cargo fetch --quiet) || _footnote_die "cargo fetch failed"
        src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-"$ver"/src/driver/sys/mod.rs 2>/dev/null | head -n 1 || true)"
    fi
    [[ -n "$src" ]] || _footnote_die "cudarc $ver source not found under ${CARGO_HOME:-$HOME/.cargo}/registry/src"
    mkdir -p "$stubdir"
    local c="$stubdir/libcuda-stub.c" n
    {
        echo "/* Generated by scripts/cuda-toolchain.sh from $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$src")")")")")/src/driver/sys/mod.rs."
        echo "   Link-time stand-in for the NVIDIA driver's libcuda.so.1; never loaded on a GPU machine. */"
        grep -A1 'extern "C" {' "$src" | sed -n 's/^ *fn \([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' | sort -u |
            awk '{ print "int " $1 "(void) { return 34; /* CUDA_ERROR_STUB_LIBRARY */ }" }'
    } >"$c"
    n="$(grep -c '^int ' "$c")"
    [[ "$n" -gt 100 ]] || _footnote_die "found only $n driver functions in $src; the bindings' layout may have changed"
    gcc -shared -fPIC -O0 -Wl,-soname,libcuda.so.1 -o "$stubdir/libcuda.so" "$c" ||
        _footnote_die "gcc could not build the libcuda stub"
    _footnote_log "built the libcuda stub ($n driver functions from cudarc $ver)"
}

_footnote_check_nvcc() {
    local nvcc="$_footnote_cuda_home/bin/nvcc" out
    [[ -x "$nvcc" ]] || _footnote_die "$nvcc missing after unpacking; remove $_footnote_tc and rerun"
    out="$("$nvcc" --version 2>&1)" || _footnote_die "nvcc --version failed: $(echo "$out" | tail -n 1)"
    grep -q "release $_FOOTNOTE_NVCC_RELEASE," <<<"$out" ||
        _footnote_die "nvcc is not CUDA $_FOOTNOTE_NVCC_RELEASE.x ($(grep -o 'release [0-9.]*' <<<"$out")); the GPU machines' driver 580 needs CUDA 13.0 PTX"
    [[ -x "$_footnote_cuda_home/nvvm/bin/cicc" ]] || _footnote_die "cicc missing (nvidia-nvvm wheel not unpacked)"
    [[ -e "$_footnote_cuda_home/include/cub/cub.cuh" || -e "$_footnote_cuda_home/include/cccl/cub/cub.cuh" ]] ||
        _footnote_die "CCCL headers (cub) missing (nvidia-cuda-cccl wheel not unpacked)"
}

_footnote_setup() {
    _footnote_check_tools
    local spec
    for spec in "${_FOOTNOTE_CUDA_WHEELS[@]}"; do
        _footnote_fetch_wheel "$spec"
    done
    _footnote_link_unversioned
    _footnote_make_stub
    _footnote_check_nvcc
}

# Prepends a directory to a colon-separated variable once.
_footnote_prepend() {
    local var="$1" dir="$2" cur="${!1:-}"
    case ":$cur:" in
        *":$dir:"*) ;;
        *) export "$var=$dir${cur:+:$cur}" ;;
    esac
}

_footnote_export_env() {
    export CUDA_HOME="$_footnote_cuda_home"
    export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
    export CARGO_TARGET_DIR="${FOOTNOTE_CUDA_TARGET_DIR:-$_footnote_repo/target-cuda}"
    _footnote_prepend PATH "$CUDA_HOME/bin"
    _footnote_prepend LIBRARY_PATH "$CUDA_HOME/lib/stubs"
    _footnote_prepend LIBRARY_PATH "$CUDA_HOME/lib"
    _footnote_prepend LD_LIBRARY_PATH "$CUDA_HOME/lib"
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: do the work in a subshell so that `set -e` and `exit` cannot end the caller's shell,
    # then export the environment here.
    if (set -euo pipefail && _footnote_setup); then
        _footnote_export_env
        _footnote_log "CUDA_HOME=$CUDA_HOME CUDA_COMPUTE_CAP=$CUDA_COMPUTE_CAP CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
    else
        return 1
    fi
else
    set -euo pipefail
    cmd="${1:-setup}"
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        setup)
            _footnote_setup
            _footnote_log "ready: CUDA_HOME=$_footnote_cuda_home ($("$_footnote_cuda_home/bin/nvcc" --version | grep -o 'release [0-9.]*'))"
            ;;
        env)
            _footnote_setup
            _footnote_export_env
            for v in CUDA_HOME CUDA_COMPUTE_CAP CARGO_TARGET_DIR PATH LIBRARY_PATH LD_LIBRARY_PATH; do
                printf 'export %s=%q\n' "$v" "${!v}"
            done
            ;;
        build)
            _footnote_setup
            _footnote_export_env
            cd "$_footnote_repo"
            _footnote_log "cargo build --release --features cuda $* (CUDA_COMPUTE_CAP=$CUDA_COMPUTE_CAP, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
            cargo build --release --features cuda "$@"
            _footnote_log "built $CARGO_TARGET_DIR/release/footnote"
            ;;
        -h | --help | help)
            sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            ;;
        *)
            _footnote_die "unknown command '$cmd' (use: setup, env, build [cargo args], or source this file)"
            ;;
    esac
fi
