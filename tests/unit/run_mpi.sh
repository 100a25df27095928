#!/bin/bash
# Runs the multi-rank unit tests (mpi_unit_tests) as a 2-rank job on this
# machine. Open MPI refuses root unless told (CI runs as root) and must keep
# every byte on the loopback interface.
set -u
prog=$1
. "$(dirname "$0")/../cli/mpi_env.sh"
exec timeout 120 mpirun -np 2 --oversubscribe "$prog"
