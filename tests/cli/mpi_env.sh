# What every MPI test needs, sourced by tests/cli/test_mpi*.sh and
# tests/unit/run_mpi.sh: a skip line when mpirun is missing, Open MPI told
# that root may run it (CI runs as root), every byte on the loopback
# interface, and one OpenMP thread a rank (two ranks fill this machine).
if ! command -v mpirun >/dev/null; then
  echo "SKIP: mpirun is not installed (the Makefile's PACKAGES install openmpi-bin)"
  exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMP_NUM_THREADS=1
