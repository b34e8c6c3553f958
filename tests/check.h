/* check.h - shared declarations of the Check test programs.
 * Each tests/<folder>/check_<module>.c defines one fx_tcase_<module>()
 * returning its TCase; tests/test_<folder>.c gathers them into one suite. */
#ifndef FX_TESTS_CHECK_H
#define FX_TESTS_CHECK_H

#include <check.h>

TCase *fx_tcase_pcg(void);
TCase *fx_tcase_sha256(void);
TCase *fx_tcase_dist(void);
TCase *fx_tcase_calendar(void);
TCase *fx_tcase_stats(void);
TCase *fx_tcase_station(void);
TCase *fx_tcase_analytic(void);
TCase *fx_tcase_theory(void);
TCase *fx_tcase_loaders(void);
TCase *fx_tcase_replay(void);
TCase *fx_tcase_trace_reader(void);
TCase *fx_tcase_trace_writer(void);
TCase *fx_tcase_gen(void);
TCase *fx_tcase_import(void);
TCase *fx_tcase_mrc(void);
TCase *fx_tcase_network(void);
TCase *fx_tcase_optimizer(void);
TCase *fx_tcase_sweep(void);
TCase *fx_tcase_transform(void);
TCase *fx_tcase_cache(void);
TCase *fx_tcase_topk(void);
TCase *fx_tcase_tier(void);

#endif
