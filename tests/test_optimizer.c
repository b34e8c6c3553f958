/* test_optimizer.c - the Check suite of optimizer/: spaces, strategies,
 * the search. */
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "tests/check.h"

/* Until tests/check.h declares it. */
TCase *fx_tcase_optimizer(void);

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("optimizer");
    suite_add_tcase(s, fx_tcase_optimizer());
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
