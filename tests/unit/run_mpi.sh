#!/bin/bash
# Runs the multi-rank unit tests (mpi_unit_tests) as a 2-rank job on this
# machine. Open MPI refuses root unless told (CI runs as root) and must keep
# every byte on the loopback interface.
set -u
prog=$1
if ! command -v mpirun >/dev/null; then
  echo "SKIP: mpirun is not installed (make deps installs openmpi-bin)"
  exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
# One thread per rank: two ranks already fill this machine's cores.
export OMP_NUM_THREADS=1
exec timeout 120 mpirun -np 2 --oversubscribe "$prog"
