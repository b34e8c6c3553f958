/* sweep_slurm.c - the Slurm scripts of a sharded sweep, and sbatch. */
#define _GNU_SOURCE /* realpath, open_memstream */

#include "cli/sweep_slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"

extern char **environ;

/* A character an #SBATCH value may hold as it is. */
static int slurm_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-_.:,+=", c));
}

int fx_slurm_value_ok(const char *v)
{
    if (!v || !*v)
        return 0;
    for (const char *c = v; *c; c++)
        if (!slurm_char_ok(*c))
            return 0;
    return 1;
}

/* S in single quotes for sh, each ' as '\''. */
static void sh_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* PATH made absolute when its folder exists (the file itself need not):
 * malloc'd, or NULL with errno set. */
static char *absolute(const char *path)
{
    char *abs = realpath(path, NULL);
    if (abs || errno != ENOENT)
        return abs;
    char *d = strdup(path), *b = strdup(path);
    char *dir = NULL, *out = NULL;
    if (d && b && (dir = realpath(dirname(d), NULL))) {
        const char *base = basename(b);
        size_t n = strlen(dir) + strlen(base) + 2;
        if ((out = malloc(n)))
            snprintf(out, n, "%s/%s", strcmp(dir, "/") ? dir : "", base);
    }
    free(dir);
    free(d);
    free(b);
    return out;
}

int fx_slurm_path_ok(const char *p)
{
    return !strpbrk(p, "\n\r%");
}

typedef struct paths {
    char *dir;    /* absolute */
    char *sweep;  /* the sweep file */
    char *self;   /* this fluxosim */
    char *output; /* the merged file */
    char *manifest, *shards, *merge, *submit;
} paths;

static void paths_free(paths *p)
{
    free(p->dir);
    free(p->sweep);
    free(p->self);
    free(p->output);
    free(p->manifest);
    free(p->shards);
    free(p->merge);
    free(p->submit);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, name);
    return s;
}

static fx_status make_paths(const char *file, const fx_slurm_opts *o, paths *p, fx_err *e)
{
    memset(p, 0, sizeof *p);
    if (!fx_slurm_path_ok(o->dir)) /* checked again once resolved, but before a folder is made */
        return fx_err_set(e, FX_EINVAL,
                          "%s: expected a path without '%%' or line breaks for a Slurm script, "
                          "found one with them",
                          o->dir);
    if (mkdir(o->dir, 0777) != 0 && errno != EEXIST)
        return fx_err_set(e, FX_EIO, "%s: cannot create: %s", o->dir, strerror(errno));
    struct stat sb;
    if (stat(o->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return fx_err_set(e, FX_EIO, "%s: expected a folder for the Slurm scripts, found a file",
                          o->dir);
    if (!(p->dir = realpath(o->dir, NULL)))
        return fx_err_set(e, FX_EIO, "%s: cannot resolve: %s", o->dir, strerror(errno));
    if (!(p->sweep = realpath(file, NULL)))
        return fx_err_set(e, FX_EIO, "%s: cannot resolve: %s", file, strerror(errno));
    if (!(p->self = realpath("/proc/self/exe", NULL)))
        return fx_err_set(e, FX_EIO, "cannot find this program's path: %s", strerror(errno));
    p->output = o->output ? absolute(o->output) : join(p->dir, "results.csv");
    if (!p->output)
        return o->output
                   ? fx_err_set(e, FX_EIO, "%s: cannot resolve: %s", o->output, strerror(errno))
                   : fx_err_set(e, FX_ENOMEM, "out of memory");
    p->manifest = join(p->dir, "inputs.sha256");
    p->shards = join(p->dir, "shards.sbatch");
    p->merge = join(p->dir, "merge.sbatch");
    p->submit = join(p->dir, "submit.sh");
    if (!p->manifest || !p->shards || !p->merge || !p->submit)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    const char *all[] = {p->dir, p->sweep, p->self, p->output};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!fx_slurm_path_ok(all[i]))
            return fx_err_set(e, FX_EINVAL,
                              "%s: expected a path without '%%' or line breaks for a Slurm "
                              "script, found one with them",
                              all[i]);
    return FX_OK;
}

/* The #SBATCH lines every job shares. */
static void common_lines(FILE *f, const fx_slurm_opts *o)
{
    if (o->partition)
        fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    if (o->time)
        fprintf(f, "#SBATCH --time=%s\n", o->time);
    if (o->mem)
        fprintf(f, "#SBATCH --mem=%s\n", o->mem);
}

/* The job name: "fluxosim-" and the sweep file's name up to its first dot. */
static void job_name(FILE *f, const char *sweep)
{
    const char *base = strrchr(sweep, '/');
    base = base ? base + 1 : sweep;
    fputs("fluxosim-", f);
    for (const char *c = base; *c && *c != '.'; c++)
        fputc(slurm_char_ok(*c) ? *c : '_', f);
}

static char *shards_script(const paths *p, const fx_slurm_opts *o, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    fprintf(f, "#!/bin/sh\n");
    fprintf(f, "# The shards of the sweep\n#   %s\n", p->sweep);
    fprintf(f,
            "# as a Slurm job array, one task per shard. Written by\n"
            "# `fluxosim sweep --emit-slurm`; submit with\n#   sh %s\n",
            p->submit);
    fputs("#SBATCH --job-name=", f);
    job_name(f, p->sweep);
    fprintf(f, "\n#SBATCH --array=1-%u\n", o->shards);
    fprintf(f, "#SBATCH --cpus-per-task=%u\n", o->cpus);
    fprintf(f, "#SBATCH --output=%s/shard-%%a.log\n", p->dir);
    common_lines(f, o);
    fputs("# A shard refuses inputs changed since submission (--inputs), and a rerun\n"
          "# continues its rows where the last run stopped (--resume).\n",
          f);
    fputs("exec ", f);
    sh_quote(f, p->self);
    fputs(" sweep ", f);
    sh_quote(f, p->sweep);
    fprintf(
        f,
        " \\\n    --shard \"$SLURM_ARRAY_TASK_ID/%u\" --jobs \"${SLURM_CPUS_PER_TASK:-%u}\" \\\n",
        o->shards, o->cpus);
    fputs("    --inputs ", f);
    sh_quote(f, p->manifest);
    fputs(" --resume --quiet \\\n    -o ", f);
    sh_quote(f, p->dir);
    fputs("\"/shard-$SLURM_ARRAY_TASK_ID.csv\"\n", f);
    return fclose(f) == 0 ? text : (free(text), NULL);
}

static char *merge_script(const paths *p, const fx_slurm_opts *o, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    fprintf(f, "#!/bin/sh\n");
    fprintf(f, "# Merge the %u shards of the sweep\n#   %s\n", o->shards, p->sweep);
    fprintf(f, "# into one file, as an unsharded run writes it. Submitted with\n"
               "# afterok on the shards' array.\n");
    fputs("#SBATCH --job-name=", f);
    job_name(f, p->sweep);
    fprintf(f, "-merge\n#SBATCH --output=%s/merge.log\n", p->dir);
    common_lines(f, o);
    fprintf(f, "set --\ni=1\nwhile [ \"$i\" -le %u ]; do\n", o->shards);
    fputs("    set -- \"$@\" ", f);
    sh_quote(f, p->dir);
    fputs("\"/shard-$i.csv\"\n    i=$((i + 1))\ndone\nexec ", f);
    sh_quote(f, p->self);
    fputs(" sweep merge ", f);
    sh_quote(f, p->output);
    fputs(" \"$@\"\n", f);
    return fclose(f) == 0 ? text : (free(text), NULL);
}

static char *submit_script(const paths *p, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    fputs("#!/bin/sh\n"
          "# Submit the shards, then the merge, which runs once every shard has\n"
          "# succeeded (and is cancelled if one fails). Running this again after a\n"
          "# failure reruns every shard; the complete ones end at once.\n"
          "set -eu\narray=$(sbatch --parsable ",
          f);
    sh_quote(f, p->shards);
    fputs(")\narray=${array%%;*}\n"
          "merge=$(sbatch --parsable --dependency=afterok:\"$array\" --kill-on-invalid-dep=yes ",
          f);
    sh_quote(f, p->merge);
    fputs(")\necho \"shards: job $array; merge: job ${merge%%;*}; results: \"", f);
    sh_quote(f, p->output);
    fputs("\n", f);
    return fclose(f) == 0 ? text : (free(text), NULL);
}

static fx_status write_script(const char *path, const char *text, size_t len, int exec, fx_err *e)
{
    if (!text)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = fx_output_write(path, text, len, e);
    if (st == FX_OK && exec && chmod(path, 0755) != 0)
        st = fx_err_set(e, FX_EIO, "%s: cannot make executable: %s", path, strerror(errno));
    return st;
}

/* The checksums: a folder written before for the same sweep keeps its
 * manifest, so that a resubmission resumes its shards; one whose inputs
 * changed since is refused. */
static fx_status write_manifest(const fx_sweep *s, const paths *p, fx_err *e)
{
    char *old = NULL, *now = NULL;
    size_t oldlen = 0;
    fx_status st = fx_input_read(p->manifest, 1, &old, &oldlen, e);
    if (st == FX_OK && old) {
        fx_err ce;
        if (fx_sweep_check_manifest(s, p->manifest, old, oldlen, &ce) != FX_OK)
            st = fx_err_set(e, FX_EINVAL,
                            "%s: holds the scripts of this sweep's earlier submission, whose "
                            "inputs have changed since (%s); remove the folder or choose another",
                            p->dir, ce.msg);
    }
    if (st == FX_OK)
        st = fx_sweep_manifest(s, &now, e);
    if (st == FX_OK && (!old || strcmp(old, now) != 0))
        st = fx_output_write(p->manifest, now, strlen(now), e);
    free(old);
    free(now);
    return st;
}

/* Run ARGV (searched in PATH) with standard output read into *OUT;
 * standard error passes through. *STATUS is its exit code, or 128 + the
 * signal that ended it. */
static fx_status run(char *const argv[], char **out, int *status, fx_err *e)
{
    int fds[2];
    if (pipe(fds) != 0)
        return fx_err_set(e, FX_EIO, "cannot make a pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return fx_err_set(e, FX_EIO, "cannot run %s: %s (is Slurm installed, and in PATH?)",
                          argv[0], strerror(rc));
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (m)
            fwrite(chunk, 1, (size_t)n, m);
    }
    close(fds[0]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (m)
        fclose(m);
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    if (!m || !buf) {
        free(buf);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    *out = buf;
    return FX_OK;
}

/* sbatch --parsable prints "JOBID" or "JOBID;CLUSTER". */
static fx_status job_id(const char *out, int status, const char *what, char *id, size_t len,
                        fx_err *e)
{
    size_t n = strspn(out, "0123456789");
    if (status != 0 || n == 0 || n >= len || (out[n] && !strchr(";\n", out[n])))
        return fx_err_set(e, FX_EIO,
                          "sbatch %s: expected a job id, found exit status %d and \"%.40s\"", what,
                          status, out);
    memcpy(id, out, n);
    id[n] = '\0';
    return FX_OK;
}

/* After --wait: whether the merge wrote what the shards hold. A merge that
 * Slurm cancelled (a shard failed) leaves the shards incomplete, and the
 * merge's own check names the missing points. */
static fx_status check_merged(const paths *p, const fx_slurm_opts *o, const char *merge_id,
                              int status, fx_err *e)
{
    char **shard = calloc(o->shards, sizeof *shard);
    if (!shard)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = FX_OK;
    for (unsigned i = 0; st == FX_OK && i < o->shards; i++) {
        char name[32];
        snprintf(name, sizeof name, "shard-%u.csv", i + 1);
        if (!(shard[i] = join(p->dir, name)))
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    /* Shards that never started: no file at all. */
    char missing[256] = "";
    unsigned nmissing = 0;
    for (unsigned i = 0; st == FX_OK && i < o->shards; i++) {
        if (access(shard[i], F_OK) == 0)
            continue;
        size_t at = strlen(missing);
        if (nmissing++ < 10 && at < sizeof missing - 16)
            snprintf(missing + at, sizeof missing - at, "%s%u", nmissing > 1 ? ", " : "", i + 1);
    }
    if (nmissing)
        st = fx_err_set(e, FX_EIO,
                        "slurm: merge job %s did not run, as %u of %u shards never wrote their "
                        "file (shard %s%s); see %s/shard-I.log, then submit again to run them",
                        merge_id, nmissing, o->shards, missing, nmissing > 10 ? ", ..." : "",
                        p->dir);
    char *want = NULL, *have = NULL;
    size_t wlen = 0, hlen = 0;
    fx_err me;
    if (st == FX_OK &&
        fx_sweep_merge((const char *const *)shard, o->shards, &want, &wlen, &me) != FX_OK)
        st = fx_err_set(e, FX_EIO,
                        "slurm: merge job %s did not run, as a shard did not complete: %s; see "
                        "%s/shard-I.log, then submit again to rerun the shards that failed",
                        merge_id, me.msg, p->dir);
    if (st == FX_OK)
        st = fx_input_read(p->output, 1, &have, &hlen, e);
    if (st == FX_OK && (status != 0 || !have || hlen != wlen || memcmp(have, want, wlen) != 0))
        st = fx_err_set(e, FX_EIO,
                        "slurm: expected merge job %s to write %s, found %s (sbatch exit status "
                        "%d); see %s/merge.log",
                        merge_id, p->output, have ? "other contents" : "no file", status, p->dir);
    for (unsigned i = 0; i < o->shards; i++)
        free(shard[i]);
    free(shard);
    free(want);
    free(have);
    return st;
}

static fx_status submit(const paths *p, const fx_slurm_opts *o, fx_err *e)
{
    char *out = NULL;
    int status = 0;
    char array[32], merge[32], dep[64];
    char *a1[] = {"sbatch", "--parsable", p->shards, NULL};
    fx_status st = run(a1, &out, &status, e);
    if (st == FX_OK)
        st = job_id(out, status, "(the shards)", array, sizeof array, e);
    free(out);
    out = NULL;
    if (st != FX_OK)
        return st;
    snprintf(dep, sizeof dep, "--dependency=afterok:%s", array);
    char *a2[] = {"sbatch", "--parsable", dep, "--kill-on-invalid-dep=yes", p->merge, NULL};
    char *a3[] = {"sbatch", "--parsable", "--wait", dep, "--kill-on-invalid-dep=yes",
                  p->merge, NULL};
    if (!o->quiet)
        fprintf(stderr, "fluxosim: sweep: submitted %u shards as job %s%s\n", o->shards, array,
                o->wait ? "; waiting for the merge" : "");
    st = run(o->wait ? a3 : a2, &out, &status, e);
    if (st == FX_OK)
        st = job_id(out, o->wait ? 0 : status, "(the merge)", merge, sizeof merge, e);
    free(out);
    if (st != FX_OK)
        return st;
    if (o->wait)
        st = check_merged(p, o, merge, status, e);
    if (st == FX_OK) {
        printf("%s %s\n", array, merge);
        if (!o->quiet)
            fprintf(stderr, "fluxosim: sweep: %s %s (merge job %s)\n",
                    o->wait ? "merged into" : "the merge will write", p->output, merge);
    }
    return st;
}

int fx_sweep_slurm(const fx_sweep *s, const char *file, const fx_slurm_opts *o)
{
    fx_err e;
    paths p;
    fx_status st = make_paths(file, o, &p, &e);
    size_t len = 0;
    char *text = NULL;
    if (st == FX_OK)
        st = write_manifest(s, &p, &e);
    if (st == FX_OK) {
        text = shards_script(&p, o, &len);
        st = write_script(p.shards, text, len, 1, &e);
        free(text);
    }
    if (st == FX_OK) {
        text = merge_script(&p, o, &len);
        st = write_script(p.merge, text, len, 1, &e);
        free(text);
    }
    if (st == FX_OK) {
        text = submit_script(&p, &len);
        st = write_script(p.submit, text, len, 1, &e);
        free(text);
    }
    if (st == FX_OK && o->submit)
        st = submit(&p, o, &e);
    else if (st == FX_OK && !o->quiet)
        fprintf(stderr, "fluxosim: sweep: wrote %s (submit with: sh %s)\n", p.dir, p.submit);
    paths_free(&p);
    return st == FX_OK ? FX_EXIT_OK : fx_cli_fail(&e);
}
