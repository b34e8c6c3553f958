# doc/figures.mk - `make figures`: the gallery of doc/figures.md, made from
# the weather example by doc/make_figures.sh. Included by the top
# Makefile.am, so paths are relative to the top directory. Only rules here:
# `make`, `make check` and `make distcheck` never run it (it needs gnuplot
# and takes about ten seconds). It writes doc/figures/*.svg, their .gp
# scripts and doc/figures.md under the build tree; in an in-tree build that
# is the gallery of the source tree.

.PHONY: figures
figures: fluxosim$(EXEEXT)
	$(AM_V_GEN)FLUXOSIM=$(abs_builddir)/fluxosim$(EXEEXT) \
	  $(SHELL) $(srcdir)/doc/make_figures.sh $(srcdir) doc
