# make check-cluster: the Slurm and MPI proofs against real engines (Debian's
# slurm-wlm, munge and OpenMPI: ./setup --cluster installs them). Not part of
# make check, which needs none of them; .ci/run runs both.
CLUSTER_TESTS = tests/cluster/slurm.sh tests/cluster/mpi.sh
EXTRA_DIST += $(CLUSTER_TESTS) tests/cluster/local.mk cluster-packages.txt

.PHONY: check-cluster
check-cluster: fluxosim$(EXEEXT)
	@fail=0; for t in $(CLUSTER_TESTS); do \
	  echo "=== $$t"; \
	  $(AM_TESTS_ENVIRONMENT) builddir=$(abs_builddir); export builddir; \
	  sh $(srcdir)/$$t; rc=$$?; \
	  if [ $$rc -eq 77 ]; then echo "$$t skipped: check-cluster needs ./configure --with-mpi"; fi; \
	  [ $$rc -eq 0 ] || fail=1; \
	done; \
	if [ $$fail -eq 0 ]; then echo "check-cluster: all passed"; else echo "check-cluster: FAILED"; fi; \
	exit $$fail
