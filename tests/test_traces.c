/* test_traces.c - the Check suite of traces/: the reader, the writer and
 * the generators. */
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "tests/check.h"

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("traces");
    suite_add_tcase(s, fx_tcase_trace_reader());
    suite_add_tcase(s, fx_tcase_trace_writer());
    suite_add_tcase(s, fx_tcase_gen());
    suite_add_tcase(s, fx_tcase_import());
    suite_add_tcase(s, fx_tcase_mrc());
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
