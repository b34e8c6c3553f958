/* cmd_transforms.h - `fluxosim transforms`: which cache placements and
 * asynchronous edges a service allows, and why the others are refused.
 *
 *   fluxosim transforms SERVICE [--format table|json] [-o FILE] [--valid-only]
 *
 * SERVICE is a service file or an architecture file (whose service is
 * used). The rules are those of models/transform.h.
 */
#ifndef FX_CLI_CMD_TRANSFORMS_H
#define FX_CLI_CMD_TRANSFORMS_H

#include "cli/opts.h"

int fx_cmd_transforms(int argc, char **argv);

/* "fluxosim transforms SERVICE [OPTIONS]", for the command table. */
extern const char fx_transforms_usage[];
extern const char fx_transforms_description[];
extern const fx_opt fx_transforms_options[];

#endif
