# bench/local.mk - `make bench`: speed benchmarks of fluxosim against peers.
# Included by the top Makefile.am, so paths are relative to the top
# directory. Nothing here is built or run by `make`, `make check` or
# `make distcheck`; only `make bench` builds bench/bare_mm1 and runs the
# scripts. See bench/README.md.

# The bare C loop: built on demand only (EXTRA_PROGRAMS), always at -O2,
# with no sanitizers (empty _LDFLAGS replaces AM_LDFLAGS) and no libfluxo.
EXTRA_PROGRAMS = bench/bare_mm1 bench/cache_lru
bench_bare_mm1_SOURCES = bench/bare_mm1.c
bench_bare_mm1_CFLAGS = -O2
bench_bare_mm1_LDFLAGS =
bench_bare_mm1_LDADD = -lm
bench_cache_lru_SOURCES = bench/cache_lru.c
bench_cache_lru_CFLAGS = -O2
bench_cache_lru_LDFLAGS =
bench_cache_lru_LDADD = -lm

BENCH_SH = bench/engine_vs_bare.sh bench/engine_vs_simpy.sh bench/replay_weather.sh \
	bench/cache_lru.sh bench/import_clf.sh bench/mrc_vs_replays.sh bench/optimizer.sh bench/sweep_scaling.sh
EXTRA_DIST += $(BENCH_SH) bench/bench_lib.sh bench/mm1_simpy.py \
	bench/README.md

# Automake does not clean EXTRA_PROGRAMS; the top Makefile.am has no
# CLEANFILES, so it is defined here.
CLEANFILES = bench/bare_mm1$(EXEEXT) bench/cache_lru$(EXEEXT) bench/bench.log

BENCH_ENV = FLUXOSIM=$(abs_builddir)/fluxosim$(EXEEXT) \
	BARE=$(abs_builddir)/bench/bare_mm1$(EXEEXT) \
	CACHE_LRU=$(abs_builddir)/bench/cache_lru$(EXEEXT) \
	PYTHON=$(PYTHON3_DEBIAN) srcdir=$(abs_srcdir)

# Runs every script even when one fails, keeps the whole output in
# bench/bench.log, ends with the BENCH lines, and fails if any script did.
.PHONY: bench
bench: fluxosim$(EXEEXT) bench/bare_mm1$(EXEEXT) bench/cache_lru$(EXEEXT)
	@log=bench/bench.log; rm -f $$log; \
	for s in $(BENCH_SH); do \
	  echo "=== $$s" | tee -a $$log; \
	  { $(BENCH_ENV) $(SHELL) $(srcdir)/$$s 2>&1 || echo "FAILED: $$s"; } \
	    | tee -a $$log; \
	done; \
	echo "=== summary (full output in $$log)"; \
	grep '^BENCH ' $$log || echo "no BENCH line"; \
	if grep '^FAILED: ' $$log; then exit 1; fi
