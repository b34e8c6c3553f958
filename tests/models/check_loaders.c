/* The service and architecture loaders: a valid weather service and its
 * candidates load into the right structures, and every invalid input is
 * refused with its exact message. Fixture files live in a fresh temporary
 * directory per test. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/arch.h"
#include "models/service.h"
#include "tests/check.h"

/* The temporary directory of the running test. */
static char dir[256];

/* Room for a path in it. */
#define PATH_BUF 512

static void make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fxloadersXXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove PATH and, when it is a directory, everything in it. */
static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *ent;
            while ((ent = readdir(d))) {
                if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
                    continue;
                char sub[PATH_BUF];
                snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name);
                remove_tree(sub);
            }
            closedir(d);
        }
    }
    remove(path);
}

static void remove_dir(void)
{
    if (dir[0])
        remove_tree(dir);
    dir[0] = '\0';
}

/* The path of NAME in the test directory. */
static const char *in_dir(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static void put_bytes(const char *name, const char *data, size_t n)
{
    char p[PATH_BUF];
    FILE *f = fopen(in_dir(name, p, sizeof p), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void put(const char *name, const char *text)
{
    put_bytes(name, text, strlen(text));
}

/* ------------------------------------------------------------------------
 * Fixtures, built by string concatenation so that a case changes one part. */

#define N_PARSE                                                                                    \
    "{\"id\": \"parse\", \"profile\": \"lognormal:mean=120us,cv=0.5\", \"out_bytes\": 64}"
#define N_GEOCODE                                                                                  \
    "{\"id\": \"geocode\", \"profile\": \"exp:850us\", \"out_bytes\": 128, \"volatile_s\": 86400}"
#define N_FORECAST                                                                                 \
    "{\"id\": \"forecast\", \"profile\": \"lognormal:mean=45ms,cv=1.5\", \"out_bytes\": 2048, "    \
    "\"volatile_s\": 600}"
#define N_RENDER                                                                                   \
    "{\"id\": \"render\", \"profile\": \"gamma:mean=3ms,cv=0.5\", \"out_bytes\": 10240, "          \
    "\"volatile_s\": 0}"
#define N_LOG   "{\"id\": \"log\", \"profile\": \"det:200us\", \"side_effects\": true}"
#define W_NODES N_PARSE ", " N_GEOCODE ", " N_FORECAST ", " N_RENDER ", " N_LOG
#define W_EDGES                                                                                    \
    "[\"parse\", \"geocode\"], [\"geocode\", \"forecast\"], [\"forecast\", \"render\"], "          \
    "[\"parse\", \"log\"]"
#define IDS "parse, geocode, forecast, render, log"

/* A service from its parts; each part is JSON text. */
#define SVC_FULL(name, entry, exit, nodes, edges)                                                  \
    "{\"service\": " name ", \"entry\": " entry ", \"exit\": " exit ", \"nodes\": [" nodes         \
    "], \"edges\": [" edges "]}"
#define SVC(nodes, edges) SVC_FULL("\"weather\"", "\"parse\"", "\"render\"", nodes, edges)
#define WEATHER           SVC(W_NODES, W_EDGES)

#define P_WEB                                                                                      \
    "{\"id\": \"web\", \"nodes\": [\"parse\", \"render\", \"log\"], \"servers\": 4, "              \
    "\"cost_per_hour\": 0.10}"
#define P_APP                                                                                      \
    "{\"id\": \"app\", \"nodes\": [\"geocode\"], \"servers\": 2, \"cost_per_hour\": 0.25, "        \
    "\"speed\": 2, \"discipline\": \"ps\"}"
#define P_DB    "{\"id\": \"db\", \"nodes\": [\"forecast\"], \"servers\": 8, \"cost_per_hour\": 0.5}"
#define W_POOLS P_WEB ", " P_APP ", " P_DB
#define NETWORK                                                                                    \
    ", \"network\": {\"hop\": \"lognormal:mean=300us,cv=0.5\", \"bandwidth_mbps\": 1000}"

/* An architecture from its parts. */
#define ARCH_FULL(service, pools, rest)                                                            \
    "{\"name\": \"three-tier\", \"service\": " service ", \"pools\": [" pools "]" rest "}"
#define ARCH(pools, rest) ARCH_FULL("\"weather.service.json\"", pools, rest)

/* ------------------------------------------------------------------------
 * Valid inputs. */

static void check_weather(const fx_service *svc)
{
    ck_assert_str_eq(svc->name, "weather");
    ck_assert_uint_eq(svc->nnodes, 5);
    const char *ids[] = {"parse", "geocode", "forecast", "render", "log"};
    for (uint32_t i = 0; i < 5; i++) {
        ck_assert_str_eq(svc->nodes[i].id, ids[i]);
        ck_assert_ptr_eq(svc->ids[i], svc->nodes[i].id);
        ck_assert_int_eq(fx_service_find(svc, ids[i]), (int)i);
        ck_assert_int_eq(svc->nodes[i].has_profile, 1);
    }
    ck_assert_int_eq(fx_service_find(svc, "nope"), -1);
    ck_assert_uint_eq(svc->entry, 0);
    ck_assert_uint_eq(svc->exit, 3);

    const fx_node *n = svc->nodes;
    /* parse -> geocode, log (in the order of the edges) */
    ck_assert_uint_eq(n[0].nsucc, 2);
    ck_assert_uint_eq(n[0].succ[0], 1);
    ck_assert_uint_eq(n[0].succ[1], 4);
    ck_assert_uint_eq(n[0].npred, 0);
    ck_assert_uint_eq(n[1].nsucc, 1);
    ck_assert_uint_eq(n[1].succ[0], 2);
    ck_assert_uint_eq(n[1].npred, 1);
    ck_assert_uint_eq(n[1].pred[0], 0);
    ck_assert_uint_eq(n[3].nsucc, 0);
    ck_assert_uint_eq(n[3].npred, 1);
    ck_assert_uint_eq(n[3].pred[0], 2);
    ck_assert_uint_eq(n[4].nsucc, 0);
    ck_assert_uint_eq(n[4].npred, 1);
    ck_assert_uint_eq(n[4].pred[0], 0);

    /* Kahn with a FIFO from the entry. */
    const uint32_t topo[] = {0, 1, 4, 2, 3};
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(svc->topo[i], topo[i]);

    ck_assert_double_eq(n[0].volatile_s, -1.0);
    ck_assert_double_eq(n[1].volatile_s, 86400.0);
    ck_assert_double_eq(n[2].volatile_s, 600.0);
    ck_assert_double_eq(n[3].volatile_s, 0.0);
    ck_assert_double_eq(n[4].volatile_s, -1.0);
    ck_assert_int_eq(n[0].has_out_bytes, 1);
    ck_assert_uint_eq(n[0].out_bytes, 64);
    ck_assert_uint_eq(n[3].out_bytes, 10240);
    ck_assert_int_eq(n[4].has_out_bytes, 0);
    ck_assert_int_eq(n[3].side_effects, 0);
    ck_assert_int_eq(n[4].side_effects, 1);
    ck_assert_int_eq(n[1].profile.kind, FX_DIST_EXP);
    ck_assert_double_eq(n[1].profile.mean, 850e3);
    ck_assert_double_eq(n[4].profile.mean, 200e3);
}

START_TEST(service_valid)
{
    char p[PATH_BUF];
    put("weather.service.json", WEATHER);
    fx_service *svc = NULL;
    fx_err e;
    fx_err_clear(&e);
    ck_assert_int_eq(fx_service_load(in_dir("weather.service.json", p, sizeof p), &svc, &e), FX_OK);
    ck_assert_str_eq(e.msg, "");
    check_weather(svc);
    ck_assert_str_eq(svc->path, p);
    fx_service_free(svc);
    fx_service_free(NULL);
    ck_assert_int_eq(fx_service_find(NULL, "parse"), -1);
}
END_TEST

START_TEST(service_one_node)
{
    /* The smallest service: one node, entry and exit at once, no edge, no
     * profile; a byte order mark and blanks around the object are fine. */
    char p[PATH_BUF];
    put("one.service.json",
        "\xEF\xBB\xBF\n " SVC_FULL("\"one\"", "\"a\"", "\"a\"", "{\"id\": \"a\"}", "") " \n\n");
    fx_service *svc = NULL;
    ck_assert_int_eq(fx_service_load(in_dir("one.service.json", p, sizeof p), &svc, NULL), FX_OK);
    ck_assert_uint_eq(svc->nnodes, 1);
    ck_assert_uint_eq(svc->entry, 0);
    ck_assert_uint_eq(svc->exit, 0);
    ck_assert_uint_eq(svc->topo[0], 0);
    ck_assert_int_eq(svc->nodes[0].has_profile, 0);
    ck_assert_ptr_null(svc->nodes[0].succ);
    fx_service_free(svc);
}
END_TEST

START_TEST(service_empirical_relative)
{
    /* empirical:FILE is read from the directory of the service file, not
     * from the current directory. */
    char p[PATH_BUF];
    ck_assert_int_eq(mkdir(in_dir("svc", p, sizeof p), 0700), 0);
    put("svc/samples.txt", "1ms\n2ms\n");
    put("svc/e.service.json",
        SVC_FULL("\"e\"", "\"a\"", "\"a\"",
                 "{\"id\": \"a\", \"profile\": \"empirical:samples.txt\"}", ""));
    fx_service *svc = NULL;
    fx_err e;
    fx_err_clear(&e);
    ck_assert_int_eq(fx_service_load(in_dir("svc/e.service.json", p, sizeof p), &svc, &e), FX_OK);
    ck_assert_int_eq(svc->nodes[0].profile.kind, FX_DIST_EMPIRICAL);
    ck_assert_double_eq(svc->nodes[0].profile.mean, 1.5e6);
    fx_service_free(svc);
}
END_TEST

static void check_pools(const fx_arch *a)
{
    ck_assert_str_eq(a->name, "three-tier");
    ck_assert_uint_eq(a->npools, 3);
    ck_assert_str_eq(a->pools[0].id, "web");
    ck_assert_uint_eq(a->pools[0].nnodes, 3);
    ck_assert_uint_eq(a->pools[0].nodes[0], 0);
    ck_assert_uint_eq(a->pools[0].nodes[1], 3);
    ck_assert_uint_eq(a->pools[0].nodes[2], 4);
    ck_assert_uint_eq(a->pools[0].servers, 4);
    ck_assert_double_eq(a->pools[0].cost_per_hour, 0.10);
    ck_assert_double_eq(a->pools[0].speed, 1.0);
    ck_assert_int_eq(a->pools[0].discipline, FX_FCFS);
    ck_assert_str_eq(a->pools[1].id, "app");
    ck_assert_double_eq(a->pools[1].speed, 2.0);
    ck_assert_int_eq(a->pools[1].discipline, FX_PS);
    ck_assert_uint_eq(a->pools[2].servers, 8);
    const uint32_t node_pool[] = {0, 1, 2, 0, 0};
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(a->node_pool[i], node_pool[i]);
    ck_assert_double_eq_tol(fx_arch_cost(a), 4 * 0.10 + 2 * 0.25 + 8 * 0.5, 1e-12);
}

START_TEST(arch_valid)
{
    char p[PATH_BUF], s[PATH_BUF];
    put("weather.service.json", WEATHER);
    put("three.json", ARCH(W_POOLS, NETWORK));
    fx_arch *a = NULL;
    fx_err e;
    fx_err_clear(&e);
    ck_assert_int_eq(fx_arch_load(in_dir("three.json", p, sizeof p), &a, &e), FX_OK);
    ck_assert_str_eq(e.msg, "");
    ck_assert_str_eq(a->path, p);
    ck_assert_str_eq(a->svc->path, in_dir("weather.service.json", s, sizeof s));
    check_weather(a->svc);
    check_pools(a);
    ck_assert_int_eq(a->has_hop, 1);
    ck_assert_int_eq(a->hop.kind, FX_DIST_LOGNORMAL);
    ck_assert_double_eq(a->hop.mean, 300e3);
    ck_assert_double_eq(a->bandwidth_mbps, 1000.0);
    fx_arch_free(a);
    fx_arch_free(NULL);
    ck_assert_double_eq(fx_arch_cost(NULL), 0.0);
}
END_TEST

START_TEST(arch_relative_and_inline)
{
    /* "service" is relative to the architecture's directory. */
    char p[PATH_BUF];
    put("weather.service.json", WEATHER);
    ck_assert_int_eq(mkdir(in_dir("cands", p, sizeof p), 0700), 0);
    put("cands/up.json", ARCH_FULL("\"../weather.service.json\"", W_POOLS, ""));
    fx_arch *a = NULL;
    ck_assert_int_eq(fx_arch_load(in_dir("cands/up.json", p, sizeof p), &a, NULL), FX_OK);
    check_pools(a);
    ck_assert_int_eq(a->has_hop, 0);
    ck_assert_double_eq(a->bandwidth_mbps, 0.0);
    fx_arch_free(a);

    /* Or the service itself, whose path is then the architecture's. */
    put("inline.json", ARCH_FULL(WEATHER, W_POOLS, NETWORK));
    a = NULL;
    ck_assert_int_eq(fx_arch_load(in_dir("inline.json", p, sizeof p), &a, NULL), FX_OK);
    check_weather(a->svc);
    check_pools(a);
    ck_assert_str_eq(a->svc->path, p);
    fx_arch_free(a);
}
END_TEST

/* ------------------------------------------------------------------------
 * Invalid inputs: each case is a file's text, the status, and the message
 * after the file's path. */

/* Load NAME, an architecture when ARCH else a service; expect CODE and the
 * message "DIR/SHOWN" then WANT, and no object. */
static void expect_error(bool arch, const char *name, const char *shown, fx_status code,
                         const char *want)
{
    char p[PATH_BUF], s[PATH_BUF], full[3 * FX_ERR_MAX + 2 * PATH_BUF];
    in_dir(name, p, sizeof p);
    snprintf(full, sizeof full, "%s%s", in_dir(shown, s, sizeof s), want);
    fx_err e;
    fx_err_clear(&e);
    fx_status st;
    if (arch) {
        fx_arch *a = (fx_arch *)&e; /* must be reset to NULL */
        st = fx_arch_load(p, &a, &e);
        ck_assert_ptr_null(a);
    } else {
        fx_service *svc = (fx_service *)&e;
        st = fx_service_load(p, &svc, &e);
        ck_assert_ptr_null(svc);
    }
    ck_assert_str_eq(e.msg, full);
    ck_assert_int_eq(st, code);
    ck_assert_int_eq(e.code, code);
}

typedef struct bad_case {
    const char *text;
    fx_status code;
    const char *want;
} bad_case;

#define E         FX_EINVAL
#define NOT_ID    "expected an id of 1 to 128 letters, digits, '_', '.' or '-', found "
#define NODE_KEYS "expected one of id, profile, out_bytes, side_effects, volatile_s"

static const bad_case bad_services[] = {
    /* Syntax, with line and column. */
    {"{\n  \"service\": \"w\",\n  \"entry\": parse\n}\n", E, ":3:12: invalid JSON near \"parse\""},
    {"{\"service\": \"w\",\n \"nodes\": [1, 2,]}", E, ":2:17: invalid JSON near \"]}\""},
    {"{\"service\": \"w\",\n \"nodes\": [{\"id\": \"a\"", E,
     ":2:21: invalid JSON near \"\\\"\" at the end of the file"},
    {"", E, ": expected a JSON object, found an empty file"},
    {" \n\t\n", E, ": expected a JSON object, found an empty file"},
    {"[" WEATHER "]", E, ": expected a JSON object, found an array"},
    {"\"weather\"", E, ": expected a JSON object, found a string"},
    {WEATHER "\n{}", E, ":2:1: expected the end of the file after the object, found \"{}\""},
    {WEATHER " x", E, ":1:580: expected the end of the file after the object, found \"x\""},

    /* Keys. */
    {SVC_FULL("\"weather\"", "\"parse\"", "\"render\", \"service\": \"w2\"", W_NODES, W_EDGES), E,
     ": key \"service\" given twice"},
    {SVC(N_PARSE ", {\"id\": \"geocode\", \"id\": \"geo\"}, " N_FORECAST ", " N_RENDER ", " N_LOG,
         W_EDGES),
     E, ": nodes[1]: key \"id\" given twice"},
    {SVC(N_PARSE ", {\"id\": \"geocode\", \"profil\": \"exp:1ms\"}, " N_FORECAST ", " N_RENDER
                 ", " N_LOG,
         W_EDGES),
     E, ": nodes[1]: unknown key \"profil\"; " NODE_KEYS},
    {"{\"service\": \"w\", \"Entry\": \"a\"}", E,
     ": unknown key \"Entry\"; expected one of service, entry, exit, nodes, edges"},
    {"{\"service\": \"w\", \"entry\": \"a\", \"nodes\": [{\"id\": \"a\"}], \"edges\": []}", E,
     ": missing key \"exit\""},
    {"{\"entry\": \"a\"}", E, ": missing key \"service\""},
    {SVC("{\"id\": \"a\"}, {\"out_bytes\": 1}", ""), E, ": nodes[1]: missing key \"id\""},

    /* Types and ranges. */
    {SVC_FULL("3", "\"parse\"", "\"render\"", W_NODES, W_EDGES), E, ": service: " NOT_ID "3"},
    {SVC_FULL("\"the weather\"", "\"parse\"", "\"render\"", W_NODES, W_EDGES), E,
     ": service: " NOT_ID "\"the weather\""},
    {SVC_FULL("\"weather\"", "[\"parse\"]", "\"render\"", W_NODES, W_EDGES), E,
     ": entry: expected a string, found an array"},
    {"{\"service\": \"w\", \"nodes\": {}}", E,
     ": nodes: expected an array of nodes, found an object"},
    {"{\"service\": \"w\", \"nodes\": []}", E, ": nodes: expected at least 1 node, found none"},
    {"{\"service\": \"w\", \"nodes\": [5]}", E, ": nodes[0]: expected an object, found 5"},
    {SVC("{\"id\": \"a b\"}", ""), E, ": nodes[0].id: " NOT_ID "\"a b\""},
    {SVC("{\"id\": \"\"}", ""), E, ": nodes[0].id: " NOT_ID "\"\""},
    {SVC("{\"id\": \"a\\\"b\\n\"}", ""), E, ": nodes[0].id: " NOT_ID "\"a\\\"b\\n\""},
    {SVC("{\"id\": null}", ""), E, ": nodes[0].id: " NOT_ID "null"},
    {SVC("{\"id\": \"a\", \"out_bytes\": \"4\"}", ""), E,
     ": nodes[0].out_bytes: expected a non-negative integer, found \"4\""},
    {SVC("{\"id\": \"a\", \"out_bytes\": 2.5}", ""), E,
     ": nodes[0].out_bytes: expected a non-negative integer, found 2.5"},
    {SVC("{\"id\": \"a\", \"out_bytes\": -1}", ""), E,
     ": nodes[0].out_bytes: expected a non-negative integer, found -1"},
    {SVC("{\"id\": \"a\", \"out_bytes\": 1180591620717411303424}", ""), FX_ELIMIT,
     ": nodes[0].out_bytes: expected at most 9007199254740992, found 1.18059e+21"},
    {SVC("{\"id\": \"a\", \"out_bytes\": 1e999}", ""), E,
     ": nodes[0].out_bytes: expected a non-negative integer, found a number beyond the range of a "
     "double"},
    {SVC("{\"id\": \"a\", \"side_effects\": \"yes\"}", ""), E,
     ": nodes[0].side_effects: expected true or false, found \"yes\""},
    {SVC("{\"id\": \"a\", \"side_effects\": 1}", ""), E,
     ": nodes[0].side_effects: expected true or false, found 1"},
    {SVC("{\"id\": \"a\", \"volatile_s\": -0.5}", ""), E,
     ": nodes[0].volatile_s: expected a number >= 0, found -0.5"},
    {SVC("{\"id\": \"a\", \"volatile_s\": 1e999}", ""), E,
     ": nodes[0].volatile_s: expected a number >= 0, found a number beyond the range of a double"},
    {SVC("{\"id\": \"a\", \"volatile_s\": -1e999}", ""), E,
     ": nodes[0].volatile_s: expected a number >= 0, found a number beyond the range of a double"},
    {SVC("{\"id\": \"a\", \"volatile_s\": null}", ""), E,
     ": nodes[0].volatile_s: expected a number >= 0, found null"},
    {SVC("{\"id\": \"a\", \"volatile_s\": false}", ""), E,
     ": nodes[0].volatile_s: expected a number >= 0, found false"},
    {SVC("{\"id\": \"a\", \"profile\": 5}", ""), E,
     ": nodes[0].profile: expected a distribution spec such as \"exp:10ms\", found 5"},
    {SVC(N_PARSE ", {\"id\": \"geocode\", \"profile\": \"lognormal:mean=5\"}", ""), E,
     ": nodes[1].profile: distribution \"lognormal:mean=5\": mean: expected a duration with a "
     "unit (ns, us, ms, s, min, h), found \"5\""},
    {SVC("{\"id\": \"a\", \"profile\": \"empirical:none.txt\"}", ""), FX_EIO,
     ": nodes[0].profile: @/none.txt: cannot open: No such file or directory"},

    /* Node ids. */
    {SVC(W_NODES ", {\"id\": \"geocode\"}", W_EDGES), E,
     ": nodes[5].id: node \"geocode\" given twice (first at nodes[1])"},
    {SVC_FULL("\"weather\"", "\"parsee\"", "\"render\"", W_NODES, W_EDGES), E,
     ": entry: unknown node \"parsee\"; expected one of " IDS},
    {SVC_FULL("\"weather\"", "\"parse\"", "\"x\"", W_NODES, W_EDGES), E,
     ": exit: unknown node \"x\"; expected one of " IDS},

    /* Edges. */
    {SVC(W_NODES, "[\"parse\", \"geocode\"], \"geocode\""), E,
     ": edges[1]: expected a pair [FROM, TO] of node ids, found \"geocode\""},
    {SVC(W_NODES, "[\"parse\", \"geocode\", \"forecast\"]"), E,
     ": edges[0]: expected a pair [FROM, TO] of node ids, found an array of 3 elements"},
    {SVC(W_NODES, "[\"parse\", \"geocode\"], [1, \"forecast\"]"), E,
     ": edges[1][0]: expected a node id, found 1"},
    {SVC(W_NODES, W_EDGES ", [\"parse\", \"x\"]"), E,
     ": edges[4][1]: unknown node \"x\"; expected one of " IDS},
    {SVC(W_NODES, "[\"parse\", \"geocode\"], [\"geocode\", \"geocode\"]"), E,
     ": edges[1]: a self-loop on \"geocode\""},
    {SVC(W_NODES, W_EDGES ", [\"parse\", \"geocode\"]"), E,
     ": edges[4]: edge \"parse\" -> \"geocode\" given twice (first at edges[0])"},
    {SVC(W_NODES, "{\"parse\": \"geocode\"}"), E,
     ": edges[0]: expected a pair [FROM, TO] of node "
     "ids, found an object"},

    /* The graph. */
    {SVC(W_NODES, W_EDGES ", [\"log\", \"parse\"]"), E,
     ": entry: node \"parse\" has a predecessor, \"log\"; the entry must have none"},
    {SVC(W_NODES, W_EDGES ", [\"render\", \"log\"]"), E,
     ": exit: node \"render\" has a successor, \"log\"; the exit must have none"},
    {SVC_FULL("\"weather\"", "\"parse\"", "\"render\"", W_NODES, ""), E,
     ": exit: node \"render\" is not reachable from the entry \"parse\""},
    {SVC(W_NODES ", {\"id\": \"orphan\"}", W_EDGES), E,
     ": nodes[5]: node \"orphan\" is not reachable from the entry \"parse\""},
    {SVC(W_NODES, W_EDGES ", [\"forecast\", \"geocode\"]"), E,
     ": edges: a cycle: geocode -> forecast -> geocode"},
    /* A cycle is named from its node listed first: c, then along the edges. */
    {SVC_FULL("\"cyc\"", "\"s\"", "\"t\"",
              "{\"id\": \"s\"}, {\"id\": \"c\"}, {\"id\": \"b\"}, {\"id\": \"a\"}, {\"id\": \"t\"}",
              "[\"s\", \"a\"], [\"a\", \"b\"], [\"b\", \"c\"], [\"c\", \"a\"], [\"c\", \"t\"]"),
     E, ": edges: a cycle: c -> a -> b -> c"},
};

#undef E

/* Replace '@' in WANT by the test directory. */
static void expand(const char *want, char *buf, size_t len)
{
    const char *at = strchr(want, '@');
    if (at)
        snprintf(buf, len, "%.*s%s%s", (int)(at - want), want, dir, at + 1);
    else
        snprintf(buf, len, "%s", want);
}

START_TEST(service_invalid)
{
    const bad_case *c = &bad_services[_i];
    char want[2 * FX_ERR_MAX + PATH_BUF];
    expand(c->want, want, sizeof want);
    put("bad.service.json", c->text);
    expect_error(false, "bad.service.json", "bad.service.json", c->code, want);
}
END_TEST

#define E FX_EINVAL
#define POOL_KEYS                                                                                  \
    "expected one of id, nodes, servers, cost_per_hour, speed, discipline, balancer, "             \
    "partitions, partition_by, splits, lookup, mtbf_s, mttr_s, retries, retry_after"
#define P_APP_WITH(member)                                                                         \
    "{\"id\": \"app\", \"nodes\": [\"geocode\"], \"cost_per_hour\": 0.25" member "}"
#define POOLS_APP(member) P_WEB ", " P_APP_WITH(member) ", " P_DB
#define CACHE(from, to, member)                                                                    \
    "{\"id\": \"c\", \"from\": " from ", \"to\": " to ", \"pool\": \"web\", "                      \
    "\"capacity_bytes\": 100" member "}"

static const bad_case bad_archs[] = {
    {"{\"name\": \"x\", \"cache\": []}", E,
     ": unknown key \"cache\"; expected one of name, service, pools, network, caches, "
     "async_edges, precompute"},
    {"{\"service\": \"weather.service.json\"}", E, ": missing key \"name\""},
    {ARCH_FULL("\"weather.service.json\"", W_POOLS, ", \"name\": \"again\""), E,
     ": key \"name\" given twice"},
    {"{\"name\": \"\", \"service\": \"weather.service.json\"}", E,
     ": name: expected a non-empty string, found \"\""},
    {"{\"name\": \"x\", \"pools\": []}", E, ": missing key \"service\""},
    {ARCH_FULL("3", W_POOLS, ""), E,
     ": service: expected the name of a service file or a service object, found 3"},
    {ARCH_FULL("\"\"", W_POOLS, ""), E,
     ": service: expected the name of a service file or a service object, found \"\""},
    {ARCH_FULL("\"weather.service.json\"", "", ""), E,
     ": pools: expected at least 1 pool, found none"},
    {"{\"name\": \"x\", \"service\": \"weather.service.json\"}", E, ": missing key \"pools\""},

    /* servers: the examples of the contract. */
    {ARCH(POOLS_APP(", \"servers\": -1"), ""), E,
     ": pools[1].servers: expected a positive integer, found -1"},
    {ARCH(POOLS_APP(", \"servers\": 0"), ""), E,
     ": pools[1].servers: expected a positive integer, found 0"},
    {ARCH(POOLS_APP(", \"servers\": \"4\""), ""), E,
     ": pools[1].servers: expected a positive integer, found \"4\""},
    {ARCH(POOLS_APP(", \"servers\": 2.5"), ""), E,
     ": pools[1].servers: expected a positive integer, found 2.5"},
    {ARCH(POOLS_APP(", \"servers\": 1180591620717411303424"), ""), FX_ELIMIT,
     ": pools[1].servers: expected at most 1000000, found 1.18059e+21"},
    {ARCH(POOLS_APP(", \"servers\": 1000001"), ""), FX_ELIMIT,
     ": pools[1].servers: expected at most 1000000, found 1000001"},
    {ARCH(POOLS_APP(", \"servers\": true"), ""), E,
     ": pools[1].servers: expected a positive integer, found true"},
    {ARCH(POOLS_APP(", \"servers\": null"), ""), E,
     ": pools[1].servers: expected a positive integer, found null"},
    {ARCH(POOLS_APP(""), ""), E, ": pools[1]: missing key \"servers\""},
    {ARCH(POOLS_APP(", \"sever\": 2"), ""), E, ": pools[1]: unknown key \"sever\"; " POOL_KEYS},
    {ARCH(POOLS_APP(", \"servers\": 2, \"servers\": 3"), ""), E,
     ": pools[1]: key \"servers\" given twice"},

    /* The other pool keys. */
    {ARCH(POOLS_APP(", \"servers\": 2, \"discipline\": \"lifo\""), ""), E,
     ": pools[1].discipline: expected one of \"fcfs\", \"ps\", found \"lifo\""},
    {ARCH(POOLS_APP(", \"servers\": 2, \"discipline\": 1"), ""), E,
     ": pools[1].discipline: expected one of \"fcfs\", \"ps\", found 1"},
    {ARCH(POOLS_APP(", \"servers\": 2, \"speed\": 0"), ""), E,
     ": pools[1].speed: expected a number > 0, found 0"},
    {ARCH(POOLS_APP(", \"servers\": 2, \"speed\": 1e999"), ""), E,
     ": pools[1].speed: expected a number > 0, found a number beyond the range of a double"},
    {ARCH(P_WEB ", {\"id\": \"app\", \"nodes\": [\"geocode\"], \"servers\": 1, \"cost_per_hour\": "
                "-0.1}, " P_DB,
          ""),
     E, ": pools[1].cost_per_hour: expected a number >= 0, found -0.1"},
    {ARCH(P_WEB ", {\"id\": \"app\", \"nodes\": [\"geocode\"], \"servers\": 1}, " P_DB, ""), E,
     ": pools[1]: missing key \"cost_per_hour\""},
    {ARCH(P_WEB ", {\"id\": \"web\", \"nodes\": [\"geocode\"], \"servers\": 1}, " P_DB, ""), E,
     ": pools[1].id: pool \"web\" given twice (first at pools[0])"},
    {ARCH(P_WEB ", {\"id\": \"a/b\", \"nodes\": [\"geocode\"], \"servers\": 1}, " P_DB, ""), E,
     ": pools[1].id: " NOT_ID "\"a/b\""},
    {ARCH("[\"web\"]", ""), E, ": pools[0]: expected an object, found an array"},

    /* Hosting. */
    {ARCH(P_WEB ", {\"id\": \"app\", \"nodes\": [\"render\"], \"servers\": 1, \"cost_per_hour\": "
                "1}, " P_DB,
          ""),
     E, ": pools[1].nodes[0]: node \"render\" is already hosted by pool \"web\""},
    {ARCH(P_WEB ", {\"id\": \"app\", \"nodes\": [\"geocode\", \"geocode\"], \"servers\": 1, "
                "\"cost_per_hour\": 1}, " P_DB,
          ""),
     E, ": pools[1].nodes[1]: node \"geocode\" is already hosted by pool \"app\""},
    {ARCH("{\"id\": \"web\", \"nodes\": [\"parse\", \"rendr\"], \"servers\": 1, \"cost_per_hour\": "
          "1}",
          ""),
     E, ": pools[0].nodes[1]: unknown node \"rendr\"; expected one of " IDS},
    {ARCH("{\"id\": \"web\", \"nodes\": [\"parse\", 7], \"servers\": 1, \"cost_per_hour\": 1}", ""),
     E, ": pools[0].nodes[1]: expected a node id, found 7"},
    {ARCH(W_POOLS ", {\"id\": \"spare\", \"nodes\": [], \"servers\": 1, \"cost_per_hour\": 1}", ""),
     E, ": pools[3]: expected a pool to host nodes or serve a cache, found neither"},
    {ARCH("{\"id\": \"web\", \"nodes\": [\"parse\", \"render\"], \"servers\": 4, "
          "\"cost_per_hour\": 0.1}, " P_APP ", " P_DB,
          ""),
     E, ": pools: node \"log\" is hosted by no pool"},

    /* The network. */
    {ARCH(W_POOLS, ", \"network\": {\"hop\": \"lognormal:mean=300us\"}"), E,
     ": network.hop: distribution \"lognormal:mean=300us\": expected "
     "parameter cv=NUMBER"},
    {ARCH(W_POOLS, ", \"network\": {\"bandwidth_mbps\": -5}"), E,
     ": network.bandwidth_mbps: expected a number > 0, found -5"},
    {ARCH(W_POOLS, ", \"network\": {\"latency\": \"exp:1ms\"}"), E,
     ": network: unknown key \"latency\"; expected one of hop, bandwidth_mbps"},
    {ARCH(W_POOLS, ", \"network\": null"), E, ": network: expected an object, found null"},

    /* Transformations: each validity rule refuses a bad placement with its reason. */
    {ARCH(W_POOLS, ", \"caches\": [" CACHE("\"log\"", "\"log\"", "") "]"), E,
     ": caches[0]: expected a valid placement, found log..log: node \"log\" has side effects"},
    {ARCH(W_POOLS, ", \"caches\": [" CACHE("\"parse\"", "\"render\"", "") "]"), E,
     ": caches[0]: expected a valid placement, found parse..render: path \"parse\" -> \"log\" "
     "leaves the subgraph before \"render\""},
    {ARCH(W_POOLS, ", \"caches\": [" CACHE("\"forecast\"", "\"forecast\"", ", \"ttl_s\": 900") "]"),
     E,
     ": caches[0].ttl_s: expected at most 600 (the smallest volatile_s inside the cache), found "
     "900"},
    {ARCH(W_POOLS, ", \"caches\": [" CACHE(
                       "\"forecast\"", "\"forecast\"",
                       "") ", {\"id\": "
                           "\"d\", \"from\": \"geocode\", \"to\": \"forecast\", \"pool\": \"web\", "
                           "\"capacity_bytes\": 100}]"),
     E,
     ": caches[1]: expected caches over disjoint subgraphs, found node \"forecast\" also under "
     "caches[0]"},
    {ARCH(W_POOLS,
          ", \"caches\": [" CACHE("\"forecast\"", "\"forecast\"", ", \"policy\": \"lrv\"") "]"),
     E,
     ": caches[0].policy: unknown policy \"lrv\"; expected one of lru, fifo, lfu, clock, s3fifo, "
     "sieve"},
    {ARCH(W_POOLS, ", \"caches\": [{\"id\": \"c\", \"from\": \"forecast\", \"to\": \"forecast\", "
                   "\"pool\": \"cachepool\", \"capacity_bytes\": 100}]"),
     E, ": caches[0].pool: unknown pool \"cachepool\"; expected one of web, app, db"},
    {ARCH(W_POOLS, ", \"caches\": [{\"id\": \"c\", \"from\": \"forecast\", \"to\": \"forecast\", "
                   "\"pool\": \"web\", \"capacity_bytes\": 0}]"),
     E, ": caches[0].capacity_bytes: expected a positive integer, found 0"},
    {ARCH(W_POOLS, ", \"async_edges\": [[\"parse\", \"geocode\"]]"), E,
     ": async_edges[0]: expected an edge that may be asynchronous, found parse -> geocode: the "
     "exit \"render\" is reachable from \"geocode\""},
    {ARCH(W_POOLS, ", \"async_edges\": [[\"parse\", \"render\"]]"), E,
     ": async_edges[0]: expected an edge of the service, found parse -> render"},
    {ARCH(W_POOLS, ", \"precompute\": [{\"cache\": \"z\", \"period_s\": 1, \"top_k\": 5}]"), E,
     ": precompute[0].cache: unknown cache \"z\"; expected one of (no caches defined)"},
    {ARCH(W_POOLS,
          ", \"caches\": [" CACHE("\"forecast\"", "\"forecast\"",
                                  "") "], \"precompute\": "
                                      "[{\"cache\": \"c\", \"period_s\": 10, \"top_k\": 0}]"),
     E, ": precompute[0].top_k: expected a positive integer, found 0"},
    {ARCH(POOLS_APP(", \"servers\": 1, \"partitions\": 3, \"partition_by\": \"range\", "
                    "\"splits\": [5]"),
          ""),
     E, ": pools[1].splits: expected 2 split points (one fewer than the partitions), found 1"},
    {ARCH(POOLS_APP(", \"servers\": 1, \"partitions\": 3, \"partition_by\": \"range\", "
                    "\"splits\": [5, 3]"),
          ""),
     E, ": pools[1].splits[1]: expected split points in increasing order, found 3 after 5"},
    {ARCH(POOLS_APP(", \"servers\": 1, \"splits\": [5]"), ""), E,
     ": pools[1].splits: expected no split points unless partition_by is \"range\", found some"},
    {ARCH(POOLS_APP(", \"servers\": 1, \"balancer\": \"least\""), ""), E,
     ": pools[1].balancer: expected one of \"shared\", \"random\", \"round-robin\", \"jsq\", "
     "\"p2c\", found \"least\""},
    {ARCH(POOLS_APP(", \"servers\": 1, \"mttr_s\": 5"), ""), E,
     ": pools[1].mttr_s: expected mtbf_s alongside mttr_s, found none"},
    {ARCH(POOLS_APP(", \"servers\": 1, \"mtbf_s\": 5"), ""), E,
     ": pools[1]: missing key \"mttr_s\""},
    {ARCH(W_POOLS, ", \"caches\": [" CACHE("\"forecast\"", "\"forecast\"",
                                           "") ", " CACHE("\"render\"", "\"render\"", "") "]"),
     E, ": caches[1].id: cache \"c\" given twice (first at caches[0])"},

    /* An inline service is checked like a file, with its path inside this one. */
    {ARCH_FULL(SVC(N_PARSE ", {\"id\": \"geocode\", \"volatile_s\": \"1h\"}", ""), W_POOLS, ""), E,
     ": service.nodes[1].volatile_s: expected a number >= 0, found \"1h\""},
    {ARCH_FULL(SVC(W_NODES, W_EDGES ", [\"forecast\", \"geocode\"]"), W_POOLS, ""), E,
     ": service.edges: a cycle: geocode -> forecast -> geocode"},
    {ARCH_FULL("{\"service\": \"w\", \"node\": []}", W_POOLS, ""), E,
     ": service: unknown key \"node\"; expected one of service, entry, exit, nodes, edges"},
};

#undef E

START_TEST(arch_invalid)
{
    const bad_case *c = &bad_archs[_i];
    char want[2 * FX_ERR_MAX + PATH_BUF];
    expand(c->want, want, sizeof want);
    put("weather.service.json", WEATHER);
    put("bad.json", c->text);
    expect_error(true, "bad.json", "bad.json", c->code, want);
}
END_TEST

START_TEST(arch_service_errors)
{
    /* Errors in a referenced service file name that file. */
    put("bad.service.json", SVC(W_NODES ", {\"id\": \"orphan\"}", W_EDGES));
    put("a.json", ARCH_FULL("\"bad.service.json\"", W_POOLS, ""));
    expect_error(true, "a.json", "bad.service.json", FX_EINVAL,
                 ": nodes[5]: node \"orphan\" is not reachable from the entry \"parse\"");
    put("b.json", ARCH_FULL("\"none.service.json\"", W_POOLS, ""));
    expect_error(true, "b.json", "none.service.json", FX_EIO,
                 ": cannot open: No such file or directory");
}
END_TEST

START_TEST(files)
{
    char p[PATH_BUF], want[2 * FX_ERR_MAX];
    fx_err e;
    fx_service *svc = NULL;
    fx_arch *a = NULL;

    /* Missing file, directory. */
    expect_error(false, "none.service.json", "none.service.json", FX_EIO,
                 ": cannot open: No such file or directory");
    expect_error(true, "none.json", "none.json", FX_EIO,
                 ": cannot open: No such file or directory");
    ck_assert_int_eq(mkdir(in_dir("sub", p, sizeof p), 0700), 0);
    expect_error(false, "sub", "sub", FX_EIO, ": expected a file, found a directory");
    expect_error(true, "sub", "sub", FX_EIO, ": expected a file, found a directory");

    /* A NUL byte is not JSON text. */
    put_bytes("nul.json", "{\"name\":\n \"a\0b\"}", 16);
    expect_error(true, "nul.json", "nul.json", FX_EINVAL,
                 ":2:4: expected JSON text, found a NUL byte");

    /* More than 64 MiB. */
    int fd = open(in_dir("big.json", p, sizeof p), O_CREAT | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (64 << 20) + 1), 0);
    close(fd);
    snprintf(want, sizeof want, ": expected at most %u bytes (64 MiB), found more", 64u << 20);
    expect_error(false, "big.json", "big.json", FX_ELIMIT, want);

    /* Too many nodes. */
    size_t cap = 64 * (FX_SERVICE_NODES_MAX + 2), len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)snprintf(text, cap,
                            "{\"service\": \"big\", \"entry\": \"n0\", \"exit\": \"n0\", "
                            "\"edges\": [], \"nodes\": [");
    for (int i = 0; i <= FX_SERVICE_NODES_MAX; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s{\"id\": \"n%d\"}", i ? ", " : "", i);
    snprintf(text + len, cap - len, "]}");
    put("many.service.json", text);
    free(text);
    snprintf(want, sizeof want, ": nodes: expected at most %d nodes, found %d",
             FX_SERVICE_NODES_MAX, FX_SERVICE_NODES_MAX + 1);
    expect_error(false, "many.service.json", "many.service.json", FX_ELIMIT, want);

    /* NULL arguments are refused, not dereferenced; no fx_err is fine. */
    ck_assert_int_eq(fx_service_load(NULL, &svc, &e), FX_EINVAL);
    ck_assert_ptr_null(svc);
    ck_assert_int_eq(fx_service_load(p, NULL, &e), FX_EINVAL);
    ck_assert_int_eq(fx_arch_load(NULL, &a, NULL), FX_EINVAL);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(fx_arch_load(in_dir("none.json", p, sizeof p), &a, NULL), FX_EIO);
}
END_TEST

TCase *fx_tcase_loaders(void)
{
    TCase *tc = tcase_create("loaders");
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, service_valid);
    tcase_add_test(tc, service_one_node);
    tcase_add_test(tc, service_empirical_relative);
    tcase_add_test(tc, arch_valid);
    tcase_add_test(tc, arch_relative_and_inline);
    tcase_add_loop_test(tc, service_invalid, 0,
                        (int)(sizeof bad_services / sizeof bad_services[0]));
    tcase_add_loop_test(tc, arch_invalid, 0, (int)(sizeof bad_archs / sizeof bad_archs[0]));
    tcase_add_test(tc, arch_service_errors);
    tcase_add_test(tc, files);
    return tc;
}
