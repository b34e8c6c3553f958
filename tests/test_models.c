/* test_models.c - the Check suite of models/: closed forms, and the engine
 * checked against them. */
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "tests/check.h"

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("models");
    suite_add_tcase(s, fx_tcase_analytic());
    suite_add_tcase(s, fx_tcase_theory());
    suite_add_tcase(s, fx_tcase_loaders());
    suite_add_tcase(s, fx_tcase_replay());
    suite_add_tcase(s, fx_tcase_transform());
    suite_add_tcase(s, fx_tcase_cache());
    suite_add_tcase(s, fx_tcase_topk());
    suite_add_tcase(s, fx_tcase_network());
    suite_add_tcase(s, fx_tcase_sweep());
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
