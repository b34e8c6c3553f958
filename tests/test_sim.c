/* test_sim.c - the Check suite of sim/: random streams, distributions, the
 * event calendar, statistics and stations. */
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "tests/check.h"

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("sim");
    suite_add_tcase(s, fx_tcase_pcg());
    suite_add_tcase(s, fx_tcase_sha256());
    suite_add_tcase(s, fx_tcase_dist());
    suite_add_tcase(s, fx_tcase_calendar());
    suite_add_tcase(s, fx_tcase_stats());
    suite_add_tcase(s, fx_tcase_station());
    suite_add_tcase(s, fx_tcase_tier());
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
