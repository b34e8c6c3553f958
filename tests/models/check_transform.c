/* Transformations: which cache placements and asynchronous edges a service
 * allows, with the exact reasons, on the weather service, a diamond, a
 * node that must never be cached and a chain; and, on random DAGs, the
 * listing agrees with the single check and both with a slow oracle that
 * follows the definitions through a transitive closure. Services are JSON
 * fixtures in a fresh temporary directory per test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "models/service.h"
#include "models/transform.h"

TCase *fx_tcase_transform(void);

static char dir[256];

#define PATH_BUF 512

static void make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fxtransformXXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* The fixtures are plain files in DIR: remove them, then DIR. */
static void remove_dir(void)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d))) {
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
                continue;
            char p[PATH_BUF];
            snprintf(p, sizeof p, "%s/%s", dir, ent->d_name);
            remove(p);
        }
        closedir(d);
    }
    rmdir(dir);
    dir[0] = '\0';
}

/* Write TEXT to NAME in the test directory and load it as a service. */
static fx_service *load(const char *name, const char *text)
{
    char p[PATH_BUF];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    fx_service *svc = NULL;
    fx_err e;
    fx_err_clear(&e);
    fx_status st = fx_service_load(p, &svc, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    return svc;
}

static uint32_t ix(const fx_service *svc, const char *id)
{
    int i = fx_service_find(svc, id);
    ck_assert_msg(i >= 0, "no node %s", id);
    return (uint32_t)i;
}

/* The placement FROM..TO is valid. */
static void valid(const fx_service *svc, const char *from, const char *to)
{
    char reason[FX_REASON_MAX] = "untouched";
    int ok = fx_cache_placement_check(svc, ix(svc, from), ix(svc, to), reason, sizeof reason);
    ck_assert_msg(ok == 1, "%s..%s: refused: %s", from, to, reason);
    ck_assert_str_eq(reason, "");
}

/* The placement FROM..TO is refused for exactly WHY. */
static void invalid(const fx_service *svc, const char *from, const char *to, const char *why)
{
    char reason[FX_REASON_MAX] = "";
    int ok = fx_cache_placement_check(svc, ix(svc, from), ix(svc, to), reason, sizeof reason);
    ck_assert_msg(ok == 0, "%s..%s: accepted", from, to);
    ck_assert_str_eq(reason, why);
}

/* The nodes inside FROM..TO, as ids joined by "," in node order. */
static const char *inside_ids(const fx_service *svc, const char *from, const char *to, char *buf,
                              size_t len)
{
    uint8_t in[FX_SERVICE_NODES_MAX];
    memset(in, 0xaa, sizeof in);
    fx_placement_nodes(svc, ix(svc, from), ix(svc, to), in);
    buf[0] = '\0';
    for (uint32_t i = 0; i < svc->nnodes; i++) {
        ck_assert_msg(in[i] == 0 || in[i] == 1, "mark %u is %u", i, in[i]);
        if (in[i]) {
            if (buf[0])
                strncat(buf, ",", len - strlen(buf) - 1);
            strncat(buf, svc->nodes[i].id, len - strlen(buf) - 1);
        }
    }
    return buf;
}

#define WEATHER                                                                                    \
    "{\"service\": \"weather\", \"entry\": \"parse\", \"exit\": \"render\",\n"                     \
    " \"nodes\": [{\"id\": \"parse\", \"profile\": \"exp:100us\"}, {\"id\": \"geocode\"},\n"       \
    "   {\"id\": \"forecast\", \"volatile_s\": 600}, {\"id\": \"render\"},\n"                      \
    "   {\"id\": \"log\", \"side_effects\": true}],\n"                                             \
    " \"edges\": [[\"parse\", \"geocode\"], [\"geocode\", \"forecast\"], [\"forecast\", "          \
    "\"render\"],\n"                                                                               \
    "   [\"parse\", \"log\"]]}\n"

START_TEST(weather_placements)
{
    fx_service *svc = load("weather.service.json", WEATHER);
    valid(svc, "geocode", "render");
    valid(svc, "forecast", "forecast");
    valid(svc, "geocode", "forecast");
    valid(svc, "render", "render");
    valid(svc, "geocode", "geocode");
    valid(svc, "forecast", "render");
    valid(svc, "parse", "parse");
    invalid(svc, "parse", "render",
            "path \"parse\" -> \"log\" leaves the subgraph before \"render\"");
    invalid(svc, "parse", "forecast",
            "path \"parse\" -> \"log\" leaves the subgraph before \"forecast\"");
    /* log has side effects too, but the region's shape is told first. */
    invalid(svc, "parse", "log",
            "path \"parse\" -> \"geocode\" leaves the subgraph before \"log\"");
    invalid(svc, "log", "log", "node \"log\" has side effects");
    invalid(svc, "render", "geocode", "\"geocode\" is not reachable from \"render\"");
    invalid(svc, "log", "render", "\"render\" is not reachable from \"log\"");

    char buf[256];
    ck_assert_str_eq(inside_ids(svc, "geocode", "render", buf, sizeof buf),
                     "geocode,forecast,render");
    ck_assert_str_eq(inside_ids(svc, "parse", "render", buf, sizeof buf),
                     "parse,geocode,forecast,render");
    ck_assert_str_eq(inside_ids(svc, "log", "log", buf, sizeof buf), "log");
    ck_assert_str_eq(inside_ids(svc, "render", "parse", buf, sizeof buf), "");

    /* Out of range and a missing service are refusals, not crashes. */
    char reason[FX_REASON_MAX];
    ck_assert_int_eq(fx_cache_placement_check(svc, 0, 5, reason, sizeof reason), 0);
    ck_assert_str_eq(reason, "node index 5 is out of range (the service has 5 nodes)");
    ck_assert_int_eq(fx_cache_placement_check(NULL, 0, 0, reason, sizeof reason), 0);
    ck_assert_int_eq(fx_cache_placement_check(svc, 0, 0, NULL, 0), 1);
    ck_assert_int_eq(fx_cache_placement_check(svc, 0, 3, NULL, 0), 0);
    ck_assert_double_lt(fx_placement_min_volatile(svc, 0, 9), 0);
    /* A short buffer gets a cut reason that says so. */
    char small[16];
    ck_assert_int_eq(
        fx_cache_placement_check(svc, ix(svc, "log"), ix(svc, "log"), small, sizeof small), 0);
    ck_assert_str_eq(small, "node \"log\" h...");
    fx_service_free(svc);
}
END_TEST

START_TEST(weather_ttl)
{
    /* The TTL bound is 600 s exactly when forecast is inside. */
    fx_service *svc = load("weather.service.json", WEATHER);
    uint32_t forecast = ix(svc, "forecast");
    uint8_t in[8];
    for (uint32_t f = 0; f < svc->nnodes; f++)
        for (uint32_t t = 0; t < svc->nnodes; t++) {
            fx_placement_nodes(svc, f, t, in);
            double ttl = fx_placement_min_volatile(svc, f, t);
            if (in[forecast])
                ck_assert_double_eq(ttl, 600.0);
            else
                ck_assert_double_lt(ttl, 0.0);
        }
    ck_assert_double_eq(fx_placement_min_volatile(svc, ix(svc, "geocode"), ix(svc, "render")),
                        600.0);
    ck_assert_double_lt(fx_placement_min_volatile(svc, ix(svc, "geocode"), ix(svc, "geocode")), 0);
    ck_assert_double_lt(fx_placement_min_volatile(svc, ix(svc, "render"), ix(svc, "render")), 0);
    fx_service_free(svc);
}
END_TEST

START_TEST(weather_async)
{
    fx_service *svc = load("weather.service.json", WEATHER);
    char reason[FX_REASON_MAX] = "untouched";
    ck_assert_int_eq(
        fx_async_edge_check(svc, ix(svc, "parse"), ix(svc, "log"), reason, sizeof reason), 1);
    ck_assert_str_eq(reason, "");
    ck_assert_int_eq(
        fx_async_edge_check(svc, ix(svc, "parse"), ix(svc, "geocode"), reason, sizeof reason), 0);
    ck_assert_str_eq(reason, "the exit \"render\" is reachable from \"geocode\"");
    ck_assert_int_eq(
        fx_async_edge_check(svc, ix(svc, "forecast"), ix(svc, "render"), reason, sizeof reason), 0);
    ck_assert_str_eq(reason, "node \"render\" is the exit");
    ck_assert_int_eq(
        fx_async_edge_check(svc, ix(svc, "parse"), ix(svc, "render"), reason, sizeof reason), 0);
    ck_assert_str_eq(reason, "there is no edge \"parse\" -> \"render\"");

    fx_transform *list = NULL;
    size_t n = 0;
    fx_err e;
    ck_assert_int_eq(fx_transforms_async(svc, &list, &n, &e), FX_OK);
    ck_assert_uint_eq(n, 4);
    /* By source node in the order of "nodes", then in the order of "edges". */
    const char *want[4][3] = {
        {"parse", "geocode", "the exit \"render\" is reachable from \"geocode\""},
        {"parse", "log", NULL},
        {"geocode", "forecast", "the exit \"render\" is reachable from \"forecast\""},
        {"forecast", "render", "node \"render\" is the exit"},
    };
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(svc->nodes[list[i].from].id, want[i][0]);
        ck_assert_str_eq(svc->nodes[list[i].to].id, want[i][1]);
        ck_assert_int_eq(list[i].valid, want[i][2] == NULL);
        ck_assert_str_eq(list[i].reason, want[i][2] ? want[i][2] : "");
    }
    free(list);
    fx_service_free(svc);
}
END_TEST

START_TEST(weather_listing)
{
    fx_service *svc = load("weather.service.json", WEATHER);
    fx_transform *list = NULL;
    size_t n = 0;
    fx_err e;
    fx_err_clear(&e);
    ck_assert_int_eq(fx_transforms_caches(svc, &list, &n, &e), FX_OK);
    /* Topological order parse, geocode, log, forecast, render; each FROM
     * with every TO it reaches, in the same order. */
    const struct {
        const char *from, *to;
        int valid;
    } want[] = {
        {"parse", "parse", 1},       {"parse", "geocode", 0},   {"parse", "log", 0},
        {"parse", "forecast", 0},    {"parse", "render", 0},    {"geocode", "geocode", 1},
        {"geocode", "forecast", 1},  {"geocode", "render", 1},  {"log", "log", 0},
        {"forecast", "forecast", 1}, {"forecast", "render", 1}, {"render", "render", 1},
    };
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(svc->nodes[list[i].from].id, want[i].from);
        ck_assert_str_eq(svc->nodes[list[i].to].id, want[i].to);
        ck_assert_int_eq(list[i].valid, want[i].valid);
        char reason[FX_REASON_MAX];
        ck_assert_int_eq(
            fx_cache_placement_check(svc, list[i].from, list[i].to, reason, sizeof reason),
            list[i].valid);
        ck_assert_str_eq(list[i].reason, reason);
    }
    ck_assert_str_eq(list[4].reason,
                     "path \"parse\" -> \"log\" leaves the subgraph before \"render\"");
    ck_assert_str_eq(list[8].reason, "node \"log\" has side effects");
    free(list);

    ck_assert_int_eq(fx_transforms_caches(svc, NULL, &n, &e), FX_EINVAL);
    ck_assert_int_eq(fx_transforms_async(NULL, &list, &n, NULL), FX_EINVAL);
    fx_service_free(svc);
}
END_TEST

#define DIAMOND                                                                                    \
    "{\"service\": \"diamond\", \"entry\": \"a\", \"exit\": \"d\",\n"                              \
    " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}, {\"id\": \"c\"}, {\"id\": \"d\"}],\n"          \
    " \"edges\": [[\"a\", \"b\"], [\"a\", \"c\"], [\"b\", \"d\"], [\"c\", \"d\"]]}\n"

START_TEST(diamond)
{
    fx_service *svc = load("diamond.service.json", DIAMOND);
    valid(svc, "a", "d");
    invalid(svc, "b", "d", "node \"d\" has a predecessor \"c\" outside the subgraph");
    invalid(svc, "c", "d", "node \"d\" has a predecessor \"b\" outside the subgraph");
    invalid(svc, "a", "b", "path \"a\" -> \"c\" leaves the subgraph before \"b\"");
    invalid(svc, "a", "c", "path \"a\" -> \"b\" leaves the subgraph before \"c\"");
    invalid(svc, "b", "c", "\"c\" is not reachable from \"b\"");
    char buf[64];
    ck_assert_str_eq(inside_ids(svc, "a", "d", buf, sizeof buf), "a,b,c,d");
    ck_assert_str_eq(inside_ids(svc, "b", "d", buf, sizeof buf), "b,d");

    fx_transform *list = NULL;
    size_t n = 0;
    ck_assert_int_eq(fx_transforms_caches(svc, &list, &n, NULL), FX_OK);
    ck_assert_uint_eq(n, 9); /* a: 4, b: 2, c: 2, d: 1 */
    size_t nvalid = 0;
    for (size_t i = 0; i < n; i++)
        nvalid += (size_t)list[i].valid;
    ck_assert_uint_eq(nvalid, 5); /* a..d and the four single nodes */
    free(list);

    /* No edge avoids the exit: nothing may be asynchronous. */
    ck_assert_int_eq(fx_transforms_async(svc, &list, &n, NULL), FX_OK);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(list[i].valid, 0);
    free(list);
    fx_service_free(svc);
}
END_TEST

START_TEST(never_cached)
{
    fx_service *svc = load(
        "zero.service.json",
        "{\"service\": \"zero\", \"entry\": \"x\", \"exit\": \"z\",\n"
        " \"nodes\": [{\"id\": \"x\", \"volatile_s\": 30}, {\"id\": \"y\", \"volatile_s\": 0},\n"
        "   {\"id\": \"z\", \"volatile_s\": 5}],\n"
        " \"edges\": [[\"x\", \"y\"], [\"y\", \"z\"]]}\n");
    invalid(svc, "y", "y", "node \"y\" has volatile_s 0: its output is never reused");
    invalid(svc, "x", "z", "node \"y\" has volatile_s 0: its output is never reused");
    valid(svc, "x", "x");
    valid(svc, "z", "z");
    ck_assert_double_eq(fx_placement_min_volatile(svc, 0, 2), 0.0);
    ck_assert_double_eq(fx_placement_min_volatile(svc, 0, 0), 30.0);
    ck_assert_double_eq(fx_placement_min_volatile(svc, 2, 2), 5.0);
    fx_service_free(svc);
}
END_TEST

START_TEST(chain_counts)
{
    fx_service *svc = load(
        "chain.service.json",
        "{\"service\": \"chain\", \"entry\": \"n1\", \"exit\": \"n4\",\n"
        " \"nodes\": [{\"id\": \"n1\"}, {\"id\": \"n2\"}, {\"id\": \"n3\"}, {\"id\": \"n4\"}],\n"
        " \"edges\": [[\"n1\", \"n2\"], [\"n2\", \"n3\"], [\"n3\", \"n4\"]]}\n");
    fx_transform *list = NULL;
    size_t n = 0;
    ck_assert_int_eq(fx_transforms_caches(svc, &list, &n, NULL), FX_OK);
    ck_assert_uint_eq(n, 10);
    size_t i = 0;
    for (uint32_t f = 0; f < 4; f++)
        for (uint32_t t = f; t < 4; t++, i++) {
            ck_assert_uint_eq(list[i].from, f);
            ck_assert_uint_eq(list[i].to, t);
            ck_assert_int_eq(list[i].valid, 1);
            ck_assert_str_eq(list[i].reason, "");
        }
    free(list);
    ck_assert_int_eq(fx_transforms_async(svc, &list, &n, NULL), FX_OK);
    ck_assert_uint_eq(n, 3);
    free(list);
    fx_service_free(svc);
}
END_TEST

/* ------------------------------------------------------------------------
 * Random DAGs against an oracle. */

static uint64_t lcg;

static uint32_t draw(uint32_t bound)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((lcg >> 33) % bound);
}

/* A random service of N nodes: node i > 0 has a predecessor among 0..i-1
 * and more edges forward at random; the last node is the exit (it has no
 * successor since edges only go forward). */
static char *random_service(uint32_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"service\": \"random\", \"entry\": \"v0\", \"exit\": \"v%u\", \"nodes\": [",
            n - 1);
    for (uint32_t i = 0; i < n; i++) {
        fprintf(f, "%s{\"id\": \"v%u\"", i ? ", " : "", i);
        uint32_t r = draw(12);
        if (r == 0)
            fputs(", \"side_effects\": true", f);
        else if (r == 1)
            fputs(", \"volatile_s\": 0", f);
        else if (r < 5)
            fprintf(f, ", \"volatile_s\": %u", 1 + draw(1000));
        fputc('}', f);
    }
    fputs("], \"edges\": [", f);
    int first = 1;
    for (uint32_t j = 1; j < n; j++) {
        uint32_t p = draw(j);
        for (uint32_t i = 0; i < j; i++)
            if (i == p || draw(n) < 2) {
                fprintf(f, "%s[\"v%u\", \"v%u\"]", first ? "" : ", ", i, j);
                first = 0;
            }
    }
    fputs("]}\n", f);
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

/* The definitions, followed literally on a transitive closure. Returns the
 * rule broken: 0 none, 1 a successor leaves, 2 a predecessor enters,
 * 3 side effects, 4 volatile_s 0. */
static int oracle(const fx_service *svc, const uint8_t *closure, uint32_t from, uint32_t to)
{
    uint32_t n = svc->nnodes;
#define R(a, b) closure[(size_t)(a)*n + (b)]
    uint8_t in[FX_SERVICE_NODES_MAX];
    for (uint32_t v = 0; v < n; v++)
        in[v] = R(from, v) && R(v, to);
    for (uint32_t v = 0; v < n; v++)
        if (in[v] && v != to)
            for (uint32_t j = 0; j < svc->nodes[v].nsucc; j++)
                if (!in[svc->nodes[v].succ[j]])
                    return 1;
    for (uint32_t v = 0; v < n; v++)
        if (in[v] && v != from)
            for (uint32_t j = 0; j < svc->nodes[v].npred; j++)
                if (!in[svc->nodes[v].pred[j]])
                    return 2;
    for (uint32_t v = 0; v < n; v++)
        if (in[v] && svc->nodes[v].side_effects)
            return 3;
    for (uint32_t v = 0; v < n; v++)
        if (in[v] && svc->nodes[v].volatile_s == 0)
            return 4;
    return 0;
#undef R
}

static int rule_of(const char *reason)
{
    if (reason[0] == '\0')
        return 0;
    if (strncmp(reason, "path ", 5) == 0)
        return 1;
    if (strstr(reason, "outside the subgraph"))
        return 2;
    if (strstr(reason, "side effects"))
        return 3;
    if (strstr(reason, "volatile_s 0"))
        return 4;
    return -1;
}

START_TEST(random_dags)
{
    lcg = 0x5eed0000u + (uint64_t)_i;
    uint32_t n = 2 + draw(_i < 40 ? 12 : 90);
    char *text = random_service(n);
    fx_service *svc = load("random.service.json", text);
    free(text);

    /* Warshall's closure, reflexive. */
    uint8_t *closure = calloc((size_t)n * n, 1);
    ck_assert_ptr_nonnull(closure);
    for (uint32_t v = 0; v < n; v++) {
        closure[(size_t)v * n + v] = 1;
        for (uint32_t j = 0; j < svc->nodes[v].nsucc; j++)
            closure[(size_t)v * n + svc->nodes[v].succ[j]] = 1;
    }
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t i = 0; i < n; i++)
            if (closure[(size_t)i * n + k])
                for (uint32_t j = 0; j < n; j++)
                    closure[(size_t)i * n + j] |= closure[(size_t)k * n + j];

    fx_transform *list = NULL;
    size_t count = 0;
    ck_assert_int_eq(fx_transforms_caches(svc, &list, &count, NULL), FX_OK);
    size_t pairs = 0;
    for (size_t i = 0; i < (size_t)n * n; i++)
        pairs += closure[i];
    ck_assert_uint_eq(count, pairs);

    uint32_t pos[FX_SERVICE_NODES_MAX];
    for (uint32_t k = 0; k < n; k++)
        pos[svc->topo[k]] = k;
    for (size_t i = 0; i < count; i++) {
        const fx_transform *t = &list[i];
        ck_assert(closure[(size_t)t->from * n + t->to]);
        if (i > 0) {
            const fx_transform *s = &list[i - 1];
            ck_assert(pos[s->from] < pos[t->from] ||
                      (s->from == t->from && pos[s->to] < pos[t->to]));
        }
        char reason[FX_REASON_MAX];
        int ok = fx_cache_placement_check(svc, t->from, t->to, reason, sizeof reason);
        ck_assert_int_eq(ok, t->valid);
        ck_assert_str_eq(reason, t->reason);
        int rule = oracle(svc, closure, t->from, t->to);
        ck_assert_msg(rule_of(t->reason) == rule, "v%u..v%u: oracle rule %d, reason \"%s\"",
                      t->from, t->to, rule, t->reason);
    }
    free(list);

    /* An edge may be asynchronous when its head does not reach the exit. */
    ck_assert_int_eq(fx_transforms_async(svc, &list, &count, NULL), FX_OK);
    size_t edges = 0;
    for (uint32_t v = 0; v < n; v++)
        edges += svc->nodes[v].nsucc;
    ck_assert_uint_eq(count, edges);
    for (size_t i = 0; i < count; i++) {
        ck_assert_int_eq(list[i].valid, !closure[(size_t)list[i].to * n + svc->exit]);
        char reason[FX_REASON_MAX];
        ck_assert_int_eq(fx_async_edge_check(svc, list[i].from, list[i].to, reason, sizeof reason),
                         list[i].valid);
        ck_assert_str_eq(reason, list[i].reason);
    }
    free(list);
    free(closure);
    fx_service_free(svc);
}
END_TEST

TCase *fx_tcase_transform(void)
{
    TCase *tc = tcase_create("transform");
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, weather_placements);
    tcase_add_test(tc, weather_ttl);
    tcase_add_test(tc, weather_async);
    tcase_add_test(tc, weather_listing);
    tcase_add_test(tc, diamond);
    tcase_add_test(tc, never_cached);
    tcase_add_test(tc, chain_counts);
    tcase_add_loop_test(tc, random_dags, 0, 60);
    return tc;
}
