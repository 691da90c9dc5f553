#!/bin/bash
# Packs a ceasim built here with -DCEASIM_CUDA=ON for a machine that has a CUDA
# driver and a newer glibc but none of ceasim's libraries (the lent GPU machine:
# Ubuntu 24.04, glibc 2.39; this one Debian 12, glibc 2.36): the binary, tests/gpu's
# kernel programs and h5dump (for tests/gpu/run_cli.sh), and every shared library
# they load but glibc's, found with ldd. Open MPI's libraries go to lib-mpi/: the
# other machine's own Open MPI 4.1 (the same ABI, libmpi.so.40) is used where it
# has one, with its plugins and mpirun; lib-mpi/ only where it has none.
#
#   tests/gpu/carry.sh BUILD_DIR CARRY_DIR      (here; CARRY_DIR ignored by git)
#   CARRY_DIR/env.sh                            (there: source it, then
#   tests/gpu/run_cli.sh CARRY_DIR/bin/ceasim CARRY_DIR/bin full)
set -euo pipefail
build=$(cd "$1" && pwd)
out=$2
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/lib-mpi"
progs=("$build/ceasim")
for p in gpu_msc_single gpu_msc_replica gpu_sa_dense gpu_kernel_twins; do
  [ -x "$build/src/gpu/$p" ] && progs+=("$build/src/gpu/$p")
done
progs+=("$(command -v h5dump)")
for p in "${progs[@]}"; do
  cp "$p" "$out/bin/"
  ldd "$p" | awk '/=> \// {print $3}' | while read -r lib; do
    case $(basename "$lib") in
      # glibc's own: the newer one there serves a binary built against 2.36.
      libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libresolv.so.* | \
        libutil.so.* | ld-linux*) ;;
      libmpi.so.* | libopen-rte.so.* | libopen-pal.so.* | libhwloc.so.* | libevent*.so.* | \
        libpmix.so.* | libudev.so.*) cp -L -n "$lib" "$out/lib-mpi/" ;;
      *) cp -L -n "$lib" "$out/lib/" ;;
    esac
  done
done
cat >"$out/env.sh" <<'ENV'
# Source me: PATH and LD_LIBRARY_PATH for the carried ceasim.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$here/bin:$PATH"
if ldconfig -p | grep -q 'libmpi\.so\.40 '; then
  export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  export LD_LIBRARY_PATH="$here/lib:$here/lib-mpi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ENV
du -sh "$out"
