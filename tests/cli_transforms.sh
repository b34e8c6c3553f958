#!/bin/sh
# cli_transforms.sh - `fluxosim transforms` as a user calls it: the weather
# service's cache placements and asynchronous edges from a service file and
# from an architecture, as a table and as JSON, usage errors (exit 2) and a
# bad service (exit 3).
set -eu
. "${srcdir:-.}/tests/lib.sh"

src=$(cd "${srcdir:-.}" && pwd)
svc="$src/examples/weather/weather.service.json"
arch="$src/examples/weather/cand2.json"

# --- help ---------------------------------------------------------------------
run help transforms
expect_status "help transforms" 0
expect_out "help transforms shows the usage" '^usage: fluxosim transforms SERVICE'
expect_out "help transforms shows options from the table" -- '--valid-only'

# --- the weather service, as a table --------------------------------------------
run transforms "$svc"
expect_status "transforms table" 0
expect_out "table names the service" '^service weather: 5 nodes, entry parse, exit render$'
expect_out "table counts placements" '^cache placements: 7 valid of 12$'
expect_out "valid row geocode..render with its TTL bound" \
    '^geocode +render +yes +600 +geocode,forecast,render$'
expect_out "valid row without a volatile node has no TTL bound" '^geocode +geocode +yes +- +geocode$'
expect_out "invalid row parse..render with its reason" \
    '^parse +render +no +600 +parse,geocode,forecast,render +path "parse" -> "log" leaves the subgraph before "render"$'
expect_out "invalid row log..log: side effects" '^log +log +no +- +log +node "log" has side effects$'
expect_out "table counts edges" '^asynchronous edges: 1 valid of 4$'
expect_out "parse -> log may be asynchronous" '^parse +log +yes$'
expect_out "parse -> geocode may not" '^parse +geocode +no +the exit "render" is reachable from "geocode"$'
# The whole table, as the guide shows it.
cat >"$tmp/expected" <<'EOF'
service weather: 5 nodes, entry parse, exit render

cache placements: 7 valid of 12
from      to        valid  max_ttl_s  nodes                          reason
parse     parse     yes            -  parse
parse     geocode   no             -  parse,geocode                  path "parse" -> "log" leaves the subgraph before "geocode"
parse     log       no             -  parse,log                      path "parse" -> "geocode" leaves the subgraph before "log"
parse     forecast  no           600  parse,geocode,forecast         path "parse" -> "log" leaves the subgraph before "forecast"
parse     render    no           600  parse,geocode,forecast,render  path "parse" -> "log" leaves the subgraph before "render"
geocode   geocode   yes            -  geocode
geocode   forecast  yes          600  geocode,forecast
geocode   render    yes          600  geocode,forecast,render
log       log       no             -  log                            node "log" has side effects
forecast  forecast  yes          600  forecast
forecast  render    yes          600  forecast,render
render    render    yes            -  render

asynchronous edges: 1 valid of 4
from      to        valid  reason
parse     geocode   no     the exit "render" is reachable from "geocode"
parse     log       yes
geocode   forecast  no     the exit "render" is reachable from "forecast"
forecast  render    no     node "render" is the exit
EOF
if cmp -s "$tmp/out" "$tmp/expected"; then ok "the weather table, exactly"; else fail "the weather table" "$(diff "$tmp/expected" "$tmp/out" | head -8)"; fi
rows=$(grep -Ec '^[a-z]+ +[a-z]+ +(yes|no)( |$)' "$tmp/out" || true)
[ "$rows" -eq 16 ] && ok "12 placements and 4 edges" || fail "$rows rows, expected 16" "$(cat "$tmp/out")"
cp "$tmp/out" "$tmp/service.table"

run transforms "$svc" --valid-only
expect_status "--valid-only" 0
if grep -Eq ' no ' "$tmp/out"; then fail "--valid-only lists no invalid row" "$(cat "$tmp/out")"; else ok "--valid-only lists no invalid row"; fi
rows=$(grep -Ec '^[a-z]+ +[a-z]+ +yes' "$tmp/out" || true)
[ "$rows" -eq 8 ] && ok "--valid-only: 7 placements and 1 edge" || fail "--valid-only: $rows rows" "$(cat "$tmp/out")"

# --- an architecture: its service --------------------------------------------
run transforms "$arch"
expect_status "transforms of an architecture" 0
if cmp -s "$tmp/out" "$tmp/service.table"; then ok "an architecture lists its service's transforms"; else fail "architecture and service differ" "$(diff "$tmp/out" "$tmp/service.table" | head -5)"; fi

run transforms "$arch" --format json -o "$tmp/t.json"
expect_status "transforms json to a file" 0
if [ ! -s "$tmp/out" ] && [ -s "$tmp/t.json" ]; then ok "-o writes the file, not stdout"; else fail "-o writes the file, not stdout"; fi
/usr/bin/python3 - "$tmp/t.json" <<'PY' && ok "json: rows, reasons and TTL bounds" || fail "json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["service"] == "weather", d["service"]
caches = {(c["from"], c["to"]): c for c in d["caches"]}
assert len(d["caches"]) == 12 and len(caches) == 12
c = caches[("geocode", "render")]
assert c["valid"] is True and "reason" not in c and c["max_ttl_s"] == 600, c
assert c["nodes"] == ["geocode", "forecast", "render"], c
c = caches[("parse", "render")]
assert c["valid"] is False, c
assert c["reason"] == 'path "parse" -> "log" leaves the subgraph before "render"', c
assert caches[("log", "log")]["reason"] == 'node "log" has side effects'
for (f, t), c in caches.items():
    assert ("max_ttl_s" in c) == ("forecast" in c["nodes"]), c
    assert ("reason" in c) == (not c["valid"]), c
assert sum(c["valid"] for c in d["caches"]) == 7
edges = {(a["from"], a["to"]): a for a in d["async_edges"]}
assert len(edges) == 4
assert edges[("parse", "log")] == {"from": "parse", "to": "log", "valid": True}
assert edges[("parse", "geocode")]["reason"] == 'the exit "render" is reachable from "geocode"'
assert not edges[("forecast", "render")]["valid"]
PY

run transforms "$svc" -f json --valid-only
expect_status "json --valid-only" 0
/usr/bin/python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
assert all(c["valid"] for c in d["caches"]) and len(d["caches"]) == 7
assert [(a["from"], a["to"]) for a in d["async_edges"]] == [("parse", "log")]' "$tmp/out" \
    && ok "json --valid-only keeps the valid rows" || fail "json --valid-only" "$(head -5 "$tmp/out")"

# --- usage errors: exit 2, one line --------------------------------------------
run transforms
expect_error "no service" 2 'transforms: expected a service or architecture file, found none'
run transforms "$svc" "$arch"
expect_error "two services" 2 'transforms: expected one service or architecture file, found ".*weather.service.json" and ".*cand2.json"'
run transforms "$svc" --format csv
expect_error "bad format" 2 'transforms: --format: expected one of table, json, found "csv"'
run transforms "$svc" --frobnicate
expect_error "unknown option" 2 'transforms: unknown option "--frobnicate"'
run transforms "$svc" -o
expect_error "-o without a file" 2 'transforms: --output expects FILE'
run transforms "$svc" --valid-only=yes
expect_error "a flag with a value" 2 'transforms: --valid-only takes no value'
cp "$svc" "$tmp/same.service.json"
run transforms "$tmp/same.service.json" -o "$tmp/same.service.json"
expect_error "output over the input" 2 'expected an output file apart from the input'
cmp -s "$svc" "$tmp/same.service.json" && ok "the input survives" || fail "the input was overwritten"

# --- bad input: exit 3 (meaning) or 1 (I/O), one line naming the file -----------
cat >"$tmp/bad.service.json" <<'EOF'
{"service": "bad", "entry": "a", "exit": "b",
 "nodes": [{"id": "a"}, {"id": "b", "volatile_s": -5}],
 "edges": [["a", "b"]]}
EOF
run transforms "$tmp/bad.service.json"
expect_error "bad service" 3 "$tmp/bad.service.json: nodes\[1\]\.volatile_s: expected .*found -5"
printf '{"service": "x",\n "nodes": [}\n' >"$tmp/syntax.service.json"
run transforms "$tmp/syntax.service.json"
expect_error "JSON syntax" 3 "$tmp/syntax.service.json:2:"
cat >"$tmp/bad.arch.json" <<EOF
{"name": "bad", "service": "$svc",
 "pools": [{"id": "web", "nodes": ["parse"], "servers": 1, "cost_per_hour": 0.1}]}
EOF
run transforms "$tmp/bad.arch.json"
expect_error "bad architecture" 3 "$tmp/bad.arch.json: pools"
run transforms "$tmp/no-such.service.json"
expect_error "missing file" 1 "no-such.service.json"
run transforms "$svc" -o "$tmp/no/such/dir/t.json"
expect_error "unwritable output" 1 'cannot create'

finish
