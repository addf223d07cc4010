#!/usr/bin/env bash
# aigw performance suite: builds the gateway, starts a mock LLM upstream, an nginx reference hop and
# the gateway on 127.0.0.1, drives them with wrk and small Java clients, stops everything it started
# (by PID) and writes bench/results/<date>.md with a verdict per goal.
#
#   bench/run.sh [--quick] [--no-build] [--passes N] [--duration S] [--warmup S]
#                [--skip-unpinned] [--skip-etcd] [--skip-scale] [--skip-metrics] [--skip-reqlog] [--skip-reqlog-pg] [--skip-cache]
#                [--skip-plugins] [--plugins a,b,...] [--skip-kafka] [--skip-fields] [--skip-twin] [--routes N] [--jmh]
#                [--only-twins] [--jfr] [--nmt] [--variant NAME='JVM FLAGS']...
#
# The gateway is started as the README says (bin/aigw, flags from bin/jvm.options); each --variant
# adds rows for the same jar started with `java FLAGS -jar` (the goals stay on bin/aigw).
# --only-twins measures the plugins' cost on twins alone (prometheus, ai-request-log, kafka-logger;
# --skip-metrics, --skip-reqlog, --skip-kafka drop one): about 6 minutes per plugin with --passes 3,
# and a report whose other goals are left unmeasured.
# Environment: AIGW_BENCH_JVM_OPTS (replaces bin/aigw by `java $AIGW_BENCH_JVM_OPTS -jar`),
# BENCH_KEEP_WORK=1 (keep bench/work/<run>). See bench/README.md.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
cd "$ROOT"

JFR=0 NMT=0 QUICK=0 BUILD=1 PASSES=2 DURATION=10 WARMUP=30 UNPINNED=1 ETCD=1 SCALE=1 METRICS=1 JMH=0 REQLOG=1 REQLOG_PG=1 CACHE=1 PLUGINS=1 KAFKA=1 FIELDS=1 TWIN=1 ONLY_TWINS=0
SCALE_ROUTES=10000 SSE_N=50 SSE_WARM=10 SSE_WARM_PAR=16 SSE_WARM_STREAMS=400 PROP_N=200
SET_PASSES="" SET_DURATION="" SET_WARMUP="" PLUGIN_ONLY=""
VARIANTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --passes) SET_PASSES="$2"; shift ;;
    --duration) SET_DURATION="$2"; shift ;;
    --warmup) SET_WARMUP="$2"; shift ;;
    --skip-unpinned) UNPINNED=0 ;;
    --skip-etcd) ETCD=0 ;;
    --skip-scale) SCALE=0 ;;
    --skip-metrics) METRICS=0 ;;
    --skip-reqlog) REQLOG=0 ;;
    --skip-reqlog-pg) REQLOG_PG=0 ;;
    --skip-cache) CACHE=0 ;;
    --skip-plugins) PLUGINS=0 ;;
    --plugins) PLUGIN_ONLY="$2"; shift ;;
    --skip-kafka) KAFKA=0 ;;
    --skip-fields) FIELDS=0 ;;
    --skip-twin) TWIN=0 ;;
    --only-twins) ONLY_TWINS=1 UNPINNED=0 ETCD=0 SCALE=0 PLUGINS=0 FIELDS=0 REQLOG_PG=0 CACHE=0 ;;
    --routes) SCALE_ROUTES="$2"; shift ;;
    --jmh) JMH=1 ;;
    --jfr) JFR=1 ;;
    --nmt) NMT=1 ;;
    --variant) case "$2" in *=*) VARIANTS+=("$2") ;; *) echo "--variant NAME='JVM FLAGS'" >&2; exit 2 ;; esac; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then
  # Short runs on a JIT that is still compiling: the report says its verdicts are not comparable
  PASSES=1 DURATION=3 WARMUP=20 SSE_N=20 SSE_WARM=5 SSE_WARM_STREAMS=5 PROP_N=50
fi
PASSES="${SET_PASSES:-$PASSES}" DURATION="${SET_DURATION:-$DURATION}" WARMUP="${SET_WARMUP:-$WARMUP}"

# The gateway under test is started as the README says: bin/aigw, i.e. the flags of bin/jvm.options
# (documented in bench/README.md) and MALLOC_ARENA_MAX=2. AIGW_BENCH_JVM_OPTS replaces that with
# `java $AIGW_BENCH_JVM_OPTS -jar` (no launcher, no arena setting); --variant adds such gateways as
# extra rows.
SHIPPED_OPTS="$(grep -v '^#' "$ROOT/bin/jvm.options" | tr -s ' \n' ' ' | sed 's/ $//')"
if [ -n "${AIGW_BENCH_JVM_OPTS:-}" ]; then
  JVM_OPTS="$AIGW_BENCH_JVM_OPTS"; JVM_LABEL="java $AIGW_BENCH_JVM_OPTS -jar (AIGW_BENCH_JVM_OPTS)"
else
  JVM_OPTS=""; JVM_LABEL="bin/aigw: $SHIPPED_OPTS (bin/jvm.options), MALLOC_ARENA_MAX=2"
fi
VARIANT_OPTS="" # set while a --variant gateway starts
ADMIN_KEY="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
STAMP="$(date +%Y-%m-%d-%H%M%S)"
WORK="$BENCH/work/$STAMP"
RAW="$WORK/raw.tsv"
META="$WORK/meta.txt"
mkdir -p "$WORK" "$BENCH/results"
: > "$RAW"; : > "$META"
LOG="$WORK/run.log"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
die() { log "FATAL: $*"; exit 1; }
meta() { printf '%s=%s\n' "$1" "$2" >> "$META"; }
raw() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }

# ---------------------------------------------------------------- processes (stopped by PID only)
PIDS=()
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid still alive after 10 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null
}
cleanup() {
  local i
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do stop_pid "${PIDS[$i]}"; done
  PIDS=()
  if [ "${BENCH_KEEP_WORK:-0}" != 1 ]; then
    find "$WORK" -name 'access.log*' -delete 2>/dev/null
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
forget_pid() { local p="$1" n=(); for x in "${PIDS[@]}"; do [ "$x" != "$p" ] && n+=("$x"); done; PIDS=("${n[@]}"); }

# ---------------------------------------------------------------- prerequisites
need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx || ! need taskset || ! need curl || ! need etcd || ! need redis-server; then
  log "installing wrk, nginx-light, etcd-server, redis-server, curl (apt-get)"
  for i in 1 2 3; do
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light etcd-server redis-server curl util-linux \
      && break
    sleep 5
  done
fi
for t in wrk nginx taskset curl java javac mvn; do need "$t" || die "$t not found"; done
NGINX="$(command -v nginx)"
CPUS="$(nproc)"
if [ "$CPUS" -ge 2 ]; then PIN_LOAD="taskset -c 0"; PIN_SUT="taskset -c 1"; else PIN_LOAD=""; PIN_SUT=""; fi
CLK_TCK="$(getconf CLK_TCK)"

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 12000 ))  # below the ephemeral range (32768+)
    if ! ss -Htln "sport = :$p" | grep -q . && ! grep -qx "$p" "$WORK/ports" 2>/dev/null; then
      echo "$p" >> "$WORK/ports"; echo "$p"; return 0
    fi
  done
  die "no free port"
}

wait_http() { # url timeout_s [header]
  local url="$1" t="$2" h="${3:-X-Bench: 1}" end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -s -o /dev/null -m 1 -H "$h" "$url" && return 0
    sleep 0.1
  done
  return 1
}

# CPU ticks (user+system) of a process and its children (nginx workers).
cpu_ticks() {
  local total=0 p kids
  for p in "$@"; do
    kids="$(cat /proc/"$p"/task/*/children 2>/dev/null)"
    for q in $p $kids; do
      [ -r /proc/"$q"/stat ] || continue
      total=$(( total + $(sed 's/.*) //' /proc/"$q"/stat | awk '{print $12 + $13}') ))
    done
  done
  echo "$total"
}

thread_ticks() { # pid comm-regex: CPU ticks of the process's threads whose name (comm, 15 chars) matches
  local p="$1" re="$2" t total=0
  for t in /proc/"$p"/task/*; do
    grep -Eq "$re" "$t/comm" 2>/dev/null || continue
    total=$(( total + $(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}') ))
  done
  echo "$total"
}
# Thread groups whose CPU per request run_wrk records besides the process total (name:comm-regex):
# the event loops, the garbage collector (SerialGC runs in the VM thread), the JIT compilers (a run that
# still compiles is not at steady state) and a logger's own writer.
THREAD_GROUPS=(loop:'^vert\.x-eventloo' gc:'^VM Thread' jit:'^C[12] CompilerThre')

# ---------------------------------------------------------------- build
GIT_COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$BUILD" = 1 ]; then
  log "building the gateway (mvn -B -o -q package -DskipTests)"
  timeout 900 mvn -B -o -q package -DskipTests >"$WORK/build.log" 2>&1 \
    || timeout 900 mvn -B -q package -DskipTests >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; die "build failed (see $WORK/build.log)"; }
fi
JAR="$ROOT/dist/target/aigw.jar"
[ -f "$JAR" ] || die "$JAR missing (run without --no-build)"
TOOLS="$WORK/tools"
mkdir -p "$TOOLS"
javac -d "$TOOLS" "$BENCH/tools/BenchTool.java" || die "javac BenchTool failed"
TOOL=(java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$TOOLS" BenchTool)

# ---------------------------------------------------------------- mock upstream and nginx hop
MOCK_PORT=$(free_port); SSE_PORT=$(free_port); HOP_PORT=$(free_port); HOP_SSE_PORT=$(free_port)
ANSWER_JSON="$("${TOOL[@]}" answer)"
# The rewriting LLM of the ai-request-rewrite case: its answer's text is the chat body the route then
# sends on (escaped for an nginx single-quoted string: backslashes doubled, quotes escaped)
REWRITE_JSON="$("${TOOL[@]}" rewrite-answer --body "$BENCH/load/chat.json" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"

nginx_conf() { # name body
  local dir="$WORK/$1"
  mkdir -p "$dir/logs" "$dir/tmp"
  cat > "$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_buffer_size 16k;
$2
}
EOF
}
nginx_conf mock "
  server {
    listen 127.0.0.1:$MOCK_PORT;
    location / {
      default_type application/json;
      return 200 '$ANSWER_JSON';
    }
    location = /rewrite/v1/chat/completions {
      default_type application/json;
      return 200 '$REWRITE_JSON';
    }
  }"
nginx_conf hop "
  upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 64; }
  upstream sse  { server 127.0.0.1:$SSE_PORT; keepalive 16; }
  proxy_http_version 1.1;
  proxy_set_header Connection \"\";
  proxy_buffering off;
  server { listen 127.0.0.1:$HOP_PORT;     location / { proxy_pass http://mock; } }
  server { listen 127.0.0.1:$HOP_SSE_PORT; location / { proxy_pass http://sse; } }"

STARTED=""
start_nginx() { # name (not in a subshell: PIDS must be this shell's)
  $PIN_SUT "$NGINX" -p "$WORK/$1" -c "$WORK/$1/nginx.conf" >"$WORK/$1/logs/stdout.log" 2>&1 &
  STARTED=$!; PIDS+=("$STARTED")
}
start_nginx mock; MOCK_PID=$STARTED
start_nginx hop; HOP_PID=$STARTED
$PIN_SUT "${TOOL[@]}" sse-mock --port "$SSE_PORT" >"$WORK/sse-mock.log" 2>&1 &
SSE_PID=$!; PIDS+=("$SSE_PID")
wait_http "http://127.0.0.1:$MOCK_PORT/" 10 || die "mock nginx did not start ($WORK/mock/logs/error.log)"
wait_http "http://127.0.0.1:$HOP_PORT/" 10 || die "nginx hop did not start ($WORK/hop/logs/error.log)"
wait_http "http://127.0.0.1:$SSE_PORT/" 20 || die "sse mock did not start ($WORK/sse-mock.log)"
log "mock :$MOCK_PORT (pid $MOCK_PID), sse mock :$SSE_PORT (pid $SSE_PID), nginx hop :$HOP_PORT/:$HOP_SSE_PORT (pid $HOP_PID)"

# Redis for the limit plugins' `policy: redis` rows of the plugin-cost section, pinned with the mock
# and the gateway (it is part of what a redis-policy request costs). No persistence, loopback only.
REDIS_PORT=""
if [ "$PLUGINS" = 1 ] && need redis-server; then
  REDIS_PORT=$(free_port)
  mkdir -p "$WORK/redis"
  $PIN_SUT redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK/redis" \
    --logfile "$WORK/redis/redis.log" >/dev/null 2>&1 &
  REDIS_PID=$!; PIDS+=("$REDIS_PID")
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break; sleep 0.1; done
  log "redis :$REDIS_PORT (pid $REDIS_PID)"
fi

# ---------------------------------------------------------------- the gateway
GW_PID="" GW_PORT="" GW_ADMIN=""
start_gateway() { # name provider(builtin|etcd) pin(1|0) [etcd_url]
  local name="$1" provider="$2" pin="$3" etcd="${4:-}" keep="${5:-}" dir="$WORK/$1"
  mkdir -p "$dir/conf" "$dir/logs"
  if [ "$keep" != keep ]; then
  GW_PORT=$(free_port); GW_ADMIN=$(free_port)
  {
    echo "apisix:"
    echo "  node_listen:"
    echo "    - {ip: 127.0.0.1, port: $GW_PORT}"
    echo "  enable_admin: true"
    echo "nginx_config:"
    echo "  http:"
    echo "    enable_access_log: true"
    echo "    access_log: logs/access.log"
    echo "deployment:"
    echo "  role: traditional"
    echo "  role_traditional:"
    echo "    config_provider: $provider"
    echo "  admin:"
    echo "    admin_key:"
    echo "      - {name: admin, key: $ADMIN_KEY, role: admin}"
    echo "    allow_admin: [127.0.0.0/24]"
    echo "    admin_listen: {ip: 127.0.0.1, port: $GW_ADMIN}"
    if [ "$provider" = etcd ]; then # deployment.etcd, as APISIX
      echo "  etcd:"
      echo "    host: [\"$etcd\"]"
      echo "    prefix: /apisix-bench-$STAMP"
    fi
    echo "plugin_attr:"
    echo "  prometheus:"
    echo "    export_addr: {ip: 127.0.0.1, port: $(free_port)}"
    echo "  ai-cache:"
    echo "    memory_max_bytes: 8388608  # the miss scenario fills the cache"
    [ -n "${GW_REQLOG_DSN:-}" ] && printf '  ai-request-log:\n    dsn: "%s"\n' "$GW_REQLOG_DSN"
  } > "$dir/conf/config.yaml"
  fi
  local pin_cmd=""; [ "$pin" = 1 ] && pin_cmd="$PIN_SUT"
  local extra=""
  [ "$JFR" = 1 ] && extra="-XX:StartFlightRecording=filename=$dir/gateway.jfr,settings=profile,dumponexit=true"
  [ "$NMT" = 1 ] && extra="$extra -XX:NativeMemoryTracking=summary"
  # exec in bin/aigw: the PID started here is the JVM's
  # shellcheck disable=SC2086
  if [ -n "$VARIANT_OPTS" ]; then
    $pin_cmd java $VARIANT_OPTS $extra -jar "$JAR" -p "$dir" >"$dir/logs/stdout.log" 2>&1 &
  elif [ -n "$JVM_OPTS" ]; then
    $pin_cmd java $JVM_OPTS $extra -jar "$JAR" -p "$dir" >"$dir/logs/stdout.log" 2>&1 &
  else
    AIGW_JAR="$JAR" AIGW_JAVA_OPTS="${AIGW_JAVA_OPTS:-} $extra" $pin_cmd "$ROOT/bin/aigw" -p "$dir" >"$dir/logs/stdout.log" 2>&1 &
  fi
  GW_PID=$!; PIDS+=("$GW_PID")
  wait_http "http://127.0.0.1:$GW_ADMIN/apisix/admin/routes" 60 "X-API-KEY: $ADMIN_KEY" \
    || { tail -20 "$dir/logs/stdout.log" >&2; die "gateway $name did not start ($dir/logs)"; }
  wait_http "http://127.0.0.1:$GW_PORT/" 10 || die "gateway $name: no proxy port"
  log "gateway $name ($provider, pinned=$pin) :$GW_PORT admin :$GW_ADMIN pid $GW_PID"
}
stop_gateway() { stop_pid "$GW_PID"; forget_pid "$GW_PID"; GW_PID=""; }

put_route() { # id json
  local code
  code=$(curl -s -o "$WORK/put.out" -w '%{http_code}' -m 10 -X PUT -H "X-API-KEY: $ADMIN_KEY" \
    -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$GW_ADMIN/apisix/admin/routes/$1")
  [ "$code" = 200 ] || [ "$code" = 201 ] || { log "PUT route $1: $code $(head -c 300 "$WORK/put.out")"; return 1; }
}
global_rule() { # id json|"" (empty: delete)
  local code
  if [ -n "$2" ]; then
    code=$(curl -s -o "$WORK/put.out" -w '%{http_code}' -m 10 -X PUT -H "X-API-KEY: $ADMIN_KEY" \
      -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$GW_ADMIN/apisix/admin/global_rules/$1")
  else
    code=$(curl -s -o "$WORK/put.out" -w '%{http_code}' -m 10 -X DELETE -H "X-API-KEY: $ADMIN_KEY" \
      "http://127.0.0.1:$GW_ADMIN/apisix/admin/global_rules/$1")
  fi
  case "$code" in 200|201|404) return 0 ;; esac
  log "global rule $1: $code $(head -c 300 "$WORK/put.out")"; return 1
}
ai_route() { # uri endpoint_port
  printf '{"uri":"%s","plugins":{"ai-proxy":{"provider":"openai","auth":{"header":{"Authorization":"Bearer sk-bench-not-a-key"}},"options":{"model":"gpt-4o"},"override":{"endpoint":"http://127.0.0.1:%s/v1/chat/completions"}}}}' "$1" "$2"
}
ai_log_route() { # uri endpoint_port: the ai-proxy route with ai-request-log (SQLite in the gateway's logs/)
  printf '{"uri":"%s","plugins":{"ai-request-log":{},"ai-proxy":{"provider":"openai","auth":{"header":{"Authorization":"Bearer sk-bench-not-a-key"}},"options":{"model":"gpt-4o"},"override":{"endpoint":"http://127.0.0.1:%s/v1/chat/completions"}}}}' "$1" "$2"
}
ai_cache_route() { # uri endpoint_port cache_json: the ai-proxy route with ai-cache (in-process)
  printf '{"uri":"%s","plugins":{"ai-cache":%s,"ai-proxy":{"provider":"openai","auth":{"header":{"Authorization":"Bearer sk-bench-not-a-key"}},"options":{"model":"gpt-4o"},"override":{"endpoint":"http://127.0.0.1:%s/v1/chat/completions"}}}}' "$1" "$3" "$2"
}
plain_route() { # uri port
  printf '{"uri":"%s","upstream":{"type":"roundrobin","nodes":{"127.0.0.1:%s":1}}}' "$1" "$2"
}
checks_route() { # uri port: the plain route with an active HTTP health check every second, as a user sets it
  printf '{"uri":"%s","upstream":{"type":"roundrobin","nodes":{"127.0.0.1:%s":1},"checks":{"active":{"type":"http","http_path":"/health","timeout":1,"healthy":{"interval":1,"successes":2},"unhealthy":{"interval":1,"http_failures":2,"tcp_failures":2,"timeouts":3}}}}}' "$1" "$2"
}
ws_route() { # uri port: WebSocket sessions relayed to the echo server
  printf '{"uri":"%s","enable_websocket":true,"upstream":{"type":"roundrobin","nodes":{"127.0.0.1:%s":1}}}' "$1" "$2"
}
# ---------------------------------------------------------------- plugin cost cases
# Each case is the ai-proxy route plus one plugin (APISIX JSON, configured as a user would, with limits
# far above the load so that nothing is refused), measured against the bare ai-proxy route in the same
# passes. `anthropic` is the protocol conversion: an Anthropic Messages body on /v1/messages served by
# the same OpenAI provider (request and answer converted), against the native OpenAI path.
# `ai-prompt-template` sends its own body (bench/load/template.json: template_name + two fields, rendered
# into a chat body); `ai-request-rewrite` calls the mock a second time per request (its rewriting LLM,
# nginx's /rewrite/ location, answers chat.json as text, which becomes the body ai-proxy sends on).
PLUGIN_CASES=(key-auth basic-auth jwt-auth limit-count limit-count-redis ai-rate-limiting ai-rate-limiting-redis anthropic
  cors request-id ip-restriction real-ip response-rewrite limit-req limit-req-redis limit-conn limit-conn-redis
  ai-prompt-decorator ai-prompt-guard ai-prompt-template ai-request-rewrite server-timing http-logger file-logger)
if [ -n "$PLUGIN_ONLY" ]; then IFS=, read -r -a PLUGIN_CASES <<<"$PLUGIN_ONLY"; fi
BENCH_KEY="bench-consumer-key-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
BENCH_JWT_SECRET="bench-jwt-secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
bench_jwt() { # an HS256 token for the bench consumer's jwt-auth credential, valid for a day
  local h p
  h="$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)"
  p="$(printf '{"key":"bench-jwt","exp":%d}' "$(( $(date +%s) + 86400 ))" | b64url)"
  printf '%s.%s.%s' "$h" "$p" "$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -hmac "$BENCH_JWT_SECRET" -binary | b64url)"
}
plugin_json() { # case → the plugin's member of the route's "plugins" object
  local redis="\"policy\":\"redis\",\"redis_host\":\"127.0.0.1\",\"redis_port\":${REDIS_PORT:-6379}"
  case "$1" in
    key-auth) echo '"key-auth":{}' ;;
    basic-auth) echo '"basic-auth":{}' ;;
    jwt-auth) echo '"jwt-auth":{}' ;;
    limit-count) echo '"limit-count":{"count":1000000000,"time_window":60,"rejected_code":429}' ;;
    limit-count-redis) echo "\"limit-count\":{\"count\":1000000000,\"time_window\":60,\"rejected_code\":429,$redis}" ;;
    ai-rate-limiting) echo '"ai-rate-limiting":{"limit":1000000000000,"time_window":3600,"rejected_code":429}' ;;
    ai-rate-limiting-redis) echo "\"ai-rate-limiting\":{\"limit\":1000000000000,\"time_window\":3600,\"rejected_code\":429,$redis}" ;;
    anthropic) echo "" ;;
    cors) echo '"cors":{}' ;;
    request-id) echo '"request-id":{}' ;;
    ip-restriction) echo '"ip-restriction":{"whitelist":["127.0.0.0/8"]}' ;;
    real-ip) echo '"real-ip":{"source":"http_x_forwarded_for","trusted_addresses":["127.0.0.0/8"]}' ;;
    response-rewrite) echo '"response-rewrite":{"headers":{"set":{"X-Bench":"1"}}}' ;;
    limit-req) echo '"limit-req":{"rate":1000000,"burst":1000000,"nodelay":true,"key":"remote_addr","rejected_code":429}' ;;
    limit-req-redis) echo "\"limit-req\":{\"rate\":1000000,\"burst\":1000000,\"nodelay\":true,\"key\":\"remote_addr\",\"rejected_code\":429,$redis}" ;;
    limit-conn) echo '"limit-conn":{"conn":100000,"burst":0,"default_conn_delay":0.1,"key":"remote_addr","rejected_code":429}' ;;
    limit-conn-redis) echo "\"limit-conn\":{\"conn\":100000,\"burst\":0,\"default_conn_delay\":0.1,\"key\":\"remote_addr\",\"rejected_code\":429,$redis}" ;;
    ai-prompt-decorator) echo '"ai-prompt-decorator":{"prepend":[{"role":"system","content":"Answer in one sentence."}]}' ;;
    ai-prompt-guard) echo '"ai-prompt-guard":{"deny_patterns":["(?i)ignore (all )?previous instructions","(?i)system prompt"]}' ;;
    ai-prompt-template) # bench/load/template.json names it and fills both fields
      echo '"ai-prompt-template":{"templates":[{"name":"eng-assistant","template":{"model":"gpt-4o","messages":[{"role":"system","content":"You are a careful assistant for {{ audience }}. Answer in plain English, keep answers short, cite the relevant section of the documentation when you can, and say so when you are not sure. Never invent configuration keys; prefer the defaults unless the user asks otherwise."},{"role":"user","content":"{{ question }}"}]}},{"name":"summary","template":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Summarise in one line: {{ text }}"}]}}]}' ;;
    ai-request-rewrite) # its own LLM call goes to the mock (the /rewrite/ location), then ai-proxy's
      echo "\"ai-request-rewrite\":{\"prompt\":\"Rewrite the user's request as an OpenAI chat completions body in JSON, with personal data masked. Answer with the JSON only.\",\"provider\":\"openai\",\"auth\":{\"header\":{\"Authorization\":\"Bearer sk-bench-not-a-key\"}},\"options\":{\"model\":\"gpt-4o-mini\"},\"override\":{\"endpoint\":\"http://127.0.0.1:$MOCK_PORT/rewrite/v1/chat/completions\"}}" ;;
    server-timing) echo '"server-timing":{}' ;;
    http-logger) echo "\"http-logger\":{\"uri\":\"http://127.0.0.1:$MOCK_PORT/log\"}" ;;
    file-logger) echo "\"file-logger\":{\"path\":\"$WORK/plugin-file-logger.log\"}" ;;
    *) return 1 ;;
  esac
}
plugin_uri() { [ "$1" = anthropic ] && echo "/p/$1/v1/messages" || echo "/p/$1/v1/chat/completions"; }
plugin_route() { # case
  local member
  member="$(plugin_json "$1")" || return 1
  [ -n "$member" ] && member="$member,"
  printf '{"uri":"%s","plugins":{%s"ai-proxy":{"provider":"openai","auth":{"header":{"Authorization":"Bearer sk-bench-not-a-key"}},"options":{"model":"gpt-4o"},"override":{"endpoint":"http://127.0.0.1:%s/v1/chat/completions"}}}}' \
    "$(plugin_uri "$1")" "$member" "$MOCK_PORT"
}
body_of() {
  case "$1" in
    p:anthropic) echo "$BENCH/load/anthropic.json" ;;
    p:ai-prompt-template) echo "$BENCH/load/template.json" ;;
    *) echo "$BENCH/load/chat.json" ;;
  esac
}
BENCH_JWT=""
header_of() {
  case "$1" in
    p:key-auth) echo "apikey: $BENCH_KEY" ;;
    p:basic-auth) echo "Authorization: Basic $(printf 'bench:%s' "$BENCH_KEY" | base64 -w0)" ;;
    p:jwt-auth) [ -n "$BENCH_JWT" ] || BENCH_JWT="$(bench_jwt)"; echo "Authorization: Bearer $BENCH_JWT" ;;
    p:real-ip) echo "X-Forwarded-For: 10.1.2.3" ;; # as behind a load balancer: without it every request logs real-ip's warning
    *) echo "" ;;
  esac
}
put_admin() { # path json
  local code
  code=$(curl -s -o "$WORK/put.out" -w '%{http_code}' -m 10 -X PUT -H "X-API-KEY: $ADMIN_KEY" \
    -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$GW_ADMIN/apisix/admin/$1")
  [ "$code" = 200 ] || [ "$code" = 201 ] || { log "PUT $1: $code $(head -c 300 "$WORK/put.out")"; return 1; }
}
setup_plugin_routes() {
  [ "$PLUGINS" = 1 ] || return 0
  put_admin consumers/bench "{\"username\":\"bench\",\"plugins\":{\"key-auth\":{\"key\":\"$BENCH_KEY\"},\"basic-auth\":{\"username\":\"bench\",\"password\":\"$BENCH_KEY\"},\"jwt-auth\":{\"key\":\"bench-jwt\",\"secret\":\"$BENCH_JWT_SECRET\"}}}" \
    || log "bench consumer refused"
  local c
  for c in "${PLUGIN_CASES[@]}"; do
    put_route "bench-p-$c" "$(plugin_route "$c")" || log "plugin case $c: route refused"
  done
}

setup_routes() {
  put_route bench-ai "$(ai_route /v1/chat/completions "$MOCK_PORT")" || log "ai-proxy route refused"
  put_route bench-plain "$(plain_route /plain/v1/chat/completions "$MOCK_PORT")" || log "plain route refused"
  put_route bench-ai-sse "$(ai_route /sse/v1/chat/completions "$SSE_PORT")" || log "ai-proxy SSE route refused"
  put_route bench-plain-sse "$(plain_route /plain-sse/v1/chat/completions "$SSE_PORT")" || log "plain SSE route refused"
  put_route bench-ai-log "$(ai_log_route /log/v1/chat/completions "$MOCK_PORT")" || log "ai-request-log route refused"
  # ai-cache: every request after the first is a hit; the miss route keys each request apart
  # (include_vars apisix_request_id), so every request pays the lookup, the provider call and the store
  put_route bench-ai-cache "$(ai_cache_route /cache/v1/chat/completions "$MOCK_PORT" '{}')" || log "ai-cache route refused"
  put_route bench-ai-miss "$(ai_cache_route /miss/v1/chat/completions "$MOCK_PORT" \
    '{"cache_key":{"include_vars":["apisix_request_id"]}}')" || log "ai-cache miss route refused"
}

url_of() { # target
  case "$1" in
    direct) echo "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" ;;
    nginx) echo "http://127.0.0.1:$HOP_PORT/v1/chat/completions" ;;
    plain) echo "http://127.0.0.1:$GW_PORT/plain/v1/chat/completions" ;;
    ai) echo "http://127.0.0.1:$GW_PORT/v1/chat/completions" ;;
    ailog) echo "http://127.0.0.1:$GW_PORT/log/v1/chat/completions" ;;
    aicache) echo "http://127.0.0.1:$GW_PORT/cache/v1/chat/completions" ;;
    aimiss) echo "http://127.0.0.1:$GW_PORT/miss/v1/chat/completions" ;;
    aikafka) echo "http://127.0.0.1:$GW_PORT/kafka/v1/chat/completions" ;;
    bplain) echo "http://127.0.0.1:$BASE_PORT/plain/v1/chat/completions" ;;
    bai) echo "http://127.0.0.1:$BASE_PORT/v1/chat/completions" ;;
    checks) echo "http://127.0.0.1:$GW_PORT/checks/v1/chat/completions" ;;
    p:*) echo "http://127.0.0.1:$GW_PORT$(plugin_uri "${1#p:}")" ;;
  esac
}
sse_of() { # target → "port path"
  case "$1" in
    direct) echo "$SSE_PORT /v1/chat/completions" ;;
    nginx) echo "$HOP_SSE_PORT /v1/chat/completions" ;;
    plain) echo "$GW_PORT /plain-sse/v1/chat/completions" ;;
    ai) echo "$GW_PORT /sse/v1/chat/completions" ;;
  esac
}
pid_of() { case "$1" in direct) echo "$MOCK_PID" ;; nginx) echo "$HOP_PID" ;; bplain|bai) echo "$BASE_PID" ;; wsdirect) echo "$ECHO_PID" ;; *) echo "$GW_PID" ;; esac; }

# A target answers when a POST gets 200 and a body with usage; otherwise it is left out (and said so).
answers() { # target; sets SMOKE_CODE
  local h; h="$(header_of "$1")"
  SMOKE_CODE=$(curl -s -o "$WORK/smoke-$1.out" -w '%{http_code}' -m 10 -H 'Content-Type: application/json' \
    ${h:+-H "$h"} --data-binary @"$(body_of "$1")" "$(url_of "$1")")
  [ "$SMOKE_CODE" = 200 ] && grep -qE '"(prompt|input)_tokens"' "$WORK/smoke-$1.out"
}
TARGETS=()
check_targets() {
  TARGETS=()
  local t
  for t in direct nginx plain ai; do
    if answers "$t"; then
      TARGETS+=("$t")
    else
      log "target $t unavailable: HTTP $SMOKE_CODE $(head -c 200 "$WORK/smoke-$t.out")"
      meta "skip_$t" "HTTP $SMOKE_CODE at smoke check"
    fi
  done
  log "targets: ${TARGETS[*]}"
}

truncate_access_log() { [ -n "$GW_PID" ] && for f in "$WORK"/gw-*/logs/access.log "$WORK/plugin-file-logger.log"; do [ -f "$f" ] && : > "$f"; done; return 0; }

run_wrk() { # section pass target profile pinned(1|0) [url]
  local section="$1" pass="$2" target="$3" profile="$4" pinned="$5" url="${6:-}" t c pin="" out c0 c1 line
  [ -z "$url" ] && url="$(url_of "$target")"
  if [ "$profile" = c50 ]; then t=2 c=50; else t=1 c=1; fi
  [ "$pinned" = 1 ] && pin="$PIN_LOAD"
  truncate_access_log
  local pid g; pid="$(pid_of "$target")"; declare -A g0=()
  for g in "${THREAD_GROUPS[@]}" ${WRITER_GROUP:+"$WRITER_GROUP"}; do g0[${g%%:*}]=$(thread_ticks "$pid" "${g#*:}"); done
  c0=$(cpu_ticks "$pid")
  out=$(BENCH_BODY="$(body_of "$target")" BENCH_HEADER="$(header_of "$target")" timeout $((DURATION + 30)) $pin wrk -t$t -c$c -d"${DURATION}s" \
    --timeout 5s -s "$BENCH/load/post.lua" "$url" 2>&1)
  c1=$(cpu_ticks "$pid")
  declare -A g1=()
  for g in "${THREAD_GROUPS[@]}" ${WRITER_GROUP:+"$WRITER_GROUP"}; do g1[${g%%:*}]=$(thread_ticks "$pid" "${g#*:}"); done
  line=$(grep '^WRK ' <<<"$out")
  if [ -z "$line" ]; then
    log "wrk $section/$target/$profile produced no summary: $(tail -3 <<<"$out" | tr '\n' ' ')"
    raw "$section" "$pass" "$target" "${profile}_errors" 1
    return
  fi
  declare -A v=()
  local kv
  for kv in ${line#WRK }; do v[${kv%%=*}]="${kv#*=}"; done
  local errs=$(( v[err_connect] + v[err_read] + v[err_write] + v[err_status] + v[err_timeout] ))
  local cpu_us
  cpu_us=$(awk -v d="$((c1 - c0))" -v n="${v[requests]}" -v hz="$CLK_TCK" 'BEGIN{ if (n>0) printf "%.2f", d*1e6/hz/n; else print "nan" }')
  raw "$section" "$pass" "$target" "${profile}_rps" "${v[rps]}"
  raw "$section" "$pass" "$target" "${profile}_p50" "${v[p50]}"
  raw "$section" "$pass" "$target" "${profile}_p90" "${v[p90]}"
  raw "$section" "$pass" "$target" "${profile}_p99" "${v[p99]}"
  raw "$section" "$pass" "$target" "${profile}_max" "${v[max]}"
  raw "$section" "$pass" "$target" "${profile}_errors" "$errs"
  raw "$section" "$pass" "$target" "${profile}_cpu_us" "$cpu_us"
  for g in "${!g0[@]}"; do
    raw "$section" "$pass" "$target" "${profile}_cpu_${g}_us" \
      "$(awk -v d="$((g1[$g] - g0[$g]))" -v n="${v[requests]}" -v hz="$CLK_TCK" 'BEGIN{ if (n>0) printf "%.2f", d*1e6/hz/n; else print "nan" }')"
  done
  log "$(printf '%-8s pass %s %-6s %-4s rps=%-9s p50=%-6s p99=%-6s cpu/req=%sus errors=%s' \
    "$section" "$pass" "$target" "$profile" "${v[rps]}" "${v[p50]}" "${v[p99]}" "$cpu_us" "$errs")"
}

warm_up() { # seconds pinned
  local s="$1" pinned="$2" pin="" t n=0
  [ "$pinned" = 1 ] && pin="$PIN_LOAD"
  for t in "${TARGETS[@]}"; do case "$t" in plain|ai|bplain|bai) n=$((n + 1)) ;; esac; done
  [ "$n" -gt 0 ] || return 0
  for t in "${TARGETS[@]}"; do
    case "$t" in
      plain|ai|bplain|bai)
        log "warm-up $t $((s / n)) s (discarded)"
        BENCH_BODY="$BENCH/load/chat.json" timeout $((s / n + 30)) $pin wrk -t2 -c50 -d"$((s / n))s" --timeout 5s \
          -s "$BENCH/load/post.lua" "$(url_of "$t")" >/dev/null 2>&1 ;;
      *)
        BENCH_BODY="$BENCH/load/chat.json" timeout 30 $pin wrk -t2 -c50 -d2s -s "$BENCH/load/post.lua" "$(url_of "$t")" \
          >/dev/null 2>&1 ;;
    esac
  done
  truncate_access_log
}

load_passes() { # section passes pinned targets...
  local section="$1" passes="$2" pinned="$3" pass profile t
  shift 3
  for pass in $(seq 1 "$passes"); do
    for profile in c50 c1; do
      for t in "$@"; do run_wrk "$section" "$pass" "$t" "$profile" "$pinned"; done
    done
  done
}

# An on/off comparison: per pass the c50 runs go off, on, on, off (ABBA), so that a machine whose speed
# drifts during the pass weighs on both states alike and each on-run has an off-run beside it (the
# report pairs them); then one c1 run of each.
abba_passes() { # section passes off-target on-target
  local section="$1" passes="$2" off="$3" on="$4" pass t
  for pass in $(seq 1 "$passes"); do
    for t in "$off" "$on" "$on" "$off"; do run_wrk "$section" "$pass" "$t" c50 1; done
    for t in "$off" "$on"; do run_wrk "$section" "$pass" "$t" c1 1; done
  done
}

# The streaming path runs code the JSON load never touches: warm it up too (discarded), with parallel
# clients. What runs once per stream (the request's parse and encoding for a stream, the head, the
# first event) needs thousands of streams to reach C2's thresholds, not only thousands of events:
# after 16 x 40 streams the sequential samples still ran interpreted and C1 code, with the compiler
# threads busy on the same core (ai-proxy's added TTFT ~750 us in a probe, ~290 us after 16 x 400).
sse_warm_up() {
  local t port path i pids=()
  for t in "${SSE_TARGETS[@]}"; do
    [ "$t" = plain ] || [ "$t" = ai ] || continue
    read -r port path <<<"$(sse_of "$t")"
    for i in $(seq 1 "$SSE_WARM_PAR"); do
      timeout 300 $PIN_LOAD "${TOOL[@]}" sse-client --port "$port" --path "$path" --n "$SSE_WARM_STREAMS" \
        --warm 0 --body "$BENCH/load/chat-stream.json" --timeout 240 >/dev/null 2>&1 &
      pids+=($!)
    done
  done
  log "sse warm-up: ${#pids[@]} parallel clients x $SSE_WARM_STREAMS streams (discarded)"
  for i in "${pids[@]}"; do wait "$i" || true; done
}

sse_passes() {
  local pass t out port path line kv
  sse_warm_up
  for pass in $(seq 1 "$PASSES"); do
    for t in "${SSE_TARGETS[@]}"; do
      read -r port path <<<"$(sse_of "$t")"
      out=$(timeout 300 $PIN_LOAD "${TOOL[@]}" sse-client --port "$port" --path "$path" --n "$SSE_N" \
        --warm "$SSE_WARM" --body "$BENCH/load/chat-stream.json" --timeout 240 2>&1)
      line=$(grep '^SSE samples' <<<"$out")
      if [ -z "$line" ]; then
        log "sse $t: no result: $(tail -3 <<<"$out" | tr '\n' ' ')"; raw sse "$pass" "$t" errors "$SSE_N"; continue
      fi
      declare -A v=()
      for kv in ${line#SSE }; do v[${kv%%=*}]="${kv#*=}"; done
      for m in ttft_p50 ttft_p90 ttft_p99 total_p50 total_p90 errors samples; do raw sse "$pass" "$t" "$m" "${v[$m]}"; done
      log "sse      pass $pass $(printf '%-6s' "$t") ttft p50=${v[ttft_p50]}us p90=${v[ttft_p90]}us total p50=${v[total_p50]}us errors=${v[errors]} $(grep '^SSE first_error' <<<"$out")"
    done
  done
}

propagation() { # label
  local out line kv
  out=$(timeout 1200 $PIN_LOAD "${TOOL[@]}" propagation --admin-port "$GW_ADMIN" --proxy-port "$GW_PORT" \
    --key "$ADMIN_KEY" --upstream "127.0.0.1:$MOCK_PORT" --n "$PROP_N" --timeout-ms 5000 2>&1)
  line=$(grep '^PROP samples' <<<"$out")
  if [ -z "$line" ]; then log "propagation $1: no result: $(tail -3 <<<"$out" | tr '\n' ' ')"; raw prop 1 "$1" errors "$PROP_N"; return; fi
  declare -A v=()
  for kv in ${line#PROP }; do v[${kv%%=*}]="${kv#*=}"; done
  for m in p50 p90 p99 max errors samples put_p50 put_p99; do raw prop 1 "$1" "$m" "${v[$m]}"; done
  log "propagation $1: p50=${v[p50]}us p99=${v[p99]}us max=${v[max]}us errors=${v[errors]} $(grep '^PROP first_error' <<<"$out")"
}

wait_scale_visible() { # label: the data plane learns of them through the watch
  local last=$(( (SCALE_ROUTES - 1) / 4 * 4 )) t0
  t0=$(date +%s%N)
  wait_http "http://127.0.0.1:$GW_PORT/bench/exact/$last/v1/chat/completions" 180 \
    || log "$1: route bench-scale-$last not visible on the proxy port after 180 s"
  meta "scale_visible_ms_$1" "$(( ($(date +%s%N) - t0) / 1000000 ))"
  log "$1: $SCALE_ROUTES routes visible on the proxy port after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

record_resources() { # pass [section]
  local st="/proc/$GW_PID/status" pass="${1:-1}" section="${2:-res}"
  [ -r "$st" ] || return 0
  raw "$section" "$pass" gateway vmhwm_kb "$(awk '/^VmHWM/{print $2}' "$st")"
  raw "$section" "$pass" gateway vmrss_kb "$(awk '/^VmRSS/{print $2}' "$st")"
  raw "$section" "$pass" gateway threads "$(awk '/^Threads/{print $2}' "$st")"
  log "gateway resources: $(grep -E '^(VmHWM|VmRSS|Threads)' "$st" | tr -s ' \t\n' ' ')"
  # with --nmt: where the resident memory goes (NMT summary, heap, pmap)
  if [ "$NMT" = 1 ]; then
    timeout 30 jcmd "$GW_PID" VM.native_memory summary > "$WORK/nmt-$section-$pass.txt" 2>&1
    timeout 30 jcmd "$GW_PID" GC.heap_info >> "$WORK/nmt-$section-$pass.txt" 2>&1
    pmap -x "$GW_PID" > "$WORK/pmap-$section-$pass.txt" 2>&1
  fi
}

# ---------------------------------------------------------------- the suite
meta date "$(date '+%Y-%m-%d %H:%M %Z')"
meta machine "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
meta mode "$([ "$QUICK" = 1 ] && echo quick || echo full)"
meta passes "$PASSES"; meta duration "$DURATION"; meta warmup "$WARMUP"; meta sse_n "$SSE_N"
meta commit "$GIT_COMMIT"; meta jvm_opts "$JVM_LABEL"; meta java "$(java -version 2>&1 | head -1)"
meta body_bytes "$(wc -c < "$BENCH/load/chat.json")"; meta answer_bytes "${#ANSWER_JSON}"; meta scale_routes "$SCALE_ROUTES"
meta template_body_bytes "$(wc -c < "$BENCH/load/template.json")"; meta clk_tck "$CLK_TCK"
meta load "wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), nginx $("$NGINX" -v 2>&1 | sed 's/.*\///')"

start_gateway gw-builtin builtin 1
setup_routes
sleep 0.5
check_targets
SSE_TARGETS=()
for t in "${TARGETS[@]}"; do
  read -r port path <<<"$(sse_of "$t")"
  if timeout 20 "${TOOL[@]}" sse-client --port "$port" --path "$path" --n 1 --warm 0 \
      --body "$BENCH/load/chat-stream.json" --timeout 10 2>&1 | grep -q 'samples=1 errors=0'; then
    SSE_TARGETS+=("$t")
  else
    log "streaming target $t unavailable"
  fi
done

if [ "$ONLY_TWINS" = 1 ]; then
  log "== warm-up ${WARMUP} s (only the twins are measured)"
else
  log "== pinned: warm-up ${WARMUP} s, then $PASSES pass(es) of ${DURATION} s runs (targets ${TARGETS[*]})"
fi
warm_up "$WARMUP" 1
[ "$ONLY_TWINS" = 1 ] || load_passes pinned "$PASSES" 1 "${TARGETS[@]}"

# ---------------------------------------------------------------- kafka-logger cost
# A real single-node Kafka broker (KRaft) from the tests' Maven jars (testkit's KafkaBroker, its own
# JVM on free 127.0.0.1 ports, on the load generator's core: it is the log's destination, not the
# proxy under test), the ai-proxy route + kafka-logger as a user runs it, interleaved with the ai-proxy
# route without it in the same passes.
KAFKA_MAIN_PID="" KAFKA_BROKER_PID="" KAFKA_PORT=""
start_kafka() {
  local classes="$ROOT/testkit/target/classes" line i
  [ -d "$classes" ] && [ -d "$ROOT/testkit/target/kafka-broker-libs" ] \
    || { log "kafka: testkit not built ($classes, kafka-broker-libs)"; return 1; }
  $PIN_LOAD java -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$classes" dev.aigw.testkit.KafkaBroker \
    >"$WORK/kafka.out" 2>&1 &
  KAFKA_MAIN_PID=$!; PIDS+=("$KAFKA_MAIN_PID")
  for i in $(seq 1 900); do
    line=$(grep -m1 '^KAFKA bootstrap=' "$WORK/kafka.out" 2>/dev/null)
    [ -n "$line" ] && break
    kill -0 "$KAFKA_MAIN_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$line" ] || { log "kafka: broker did not start: $(tail -3 "$WORK/kafka.out" | tr '\n' ' ')"; return 1; }
  KAFKA_PORT=$(sed 's/.*bootstrap=127.0.0.1:\([0-9]*\).*/\1/' <<<"$line")
  KAFKA_BROKER_PID=$(sed 's/.* pid=\([0-9]*\).*/\1/' <<<"$line")
  PIDS+=("$KAFKA_BROKER_PID") # stopped first (reverse order), in case its launcher is SIGKILLed
  log "kafka broker 127.0.0.1:$KAFKA_PORT (pid $KAFKA_BROKER_PID, launcher pid $KAFKA_MAIN_PID)"
}
stop_kafka() {
  [ -n "$KAFKA_MAIN_PID" ] || return 0
  stop_pid "$KAFKA_MAIN_PID"; forget_pid "$KAFKA_MAIN_PID" # its shutdown hook stops the broker by PID
  stop_pid "$KAFKA_BROKER_PID"; forget_pid "$KAFKA_BROKER_PID"
  KAFKA_MAIN_PID="" KAFKA_BROKER_PID=""
}
ai_kafka_route() { # uri endpoint_port kafka_port: ai-proxy (summaries logged) + kafka-logger, batch 1000
  printf '{"uri":"%s","plugins":{"kafka-logger":{"brokers":[{"host":"127.0.0.1","port":%s}],"kafka_topic":"aigw-bench","batch_max_size":1000},"ai-proxy":{"provider":"openai","auth":{"header":{"Authorization":"Bearer sk-bench-not-a-key"}},"options":{"model":"gpt-4o"},"logging":{"summaries":true},"override":{"endpoint":"http://127.0.0.1:%s/v1/chat/completions"}}}}' "$1" "$3" "$2"
}
delete_route() { # id
  curl -s -o /dev/null -m 10 -X DELETE -H "X-API-KEY: $ADMIN_KEY" "http://127.0.0.1:$GW_ADMIN/apisix/admin/routes/$1"
}
kafka_section() {
  if ! printf '%s\n' "${TARGETS[@]}" | grep -qx ai; then
    log "kafka-logger comparison skipped: the ai target does not answer"; return
  fi
  start_kafka || { log "kafka-logger comparison skipped"; meta skip_kafka "broker did not start"; stop_kafka; return; }
  if put_route bench-ai-kafka "$(ai_kafka_route /kafka/v1/chat/completions "$MOCK_PORT" "$KAFKA_PORT")" \
      && sleep 0.5 && answers aikafka; then
    log "== kafka-logger: ai-proxy route with kafka-logger (batch 1000, summaries) vs without (pinned)"
    ALL_TARGETS=("${TARGETS[@]}"); TARGETS=(ai aikafka)
    warm_up "$WARMUP" 1 # a whole warm-up: the logger's path (JDBC, the producer) is compiled before it is measured
    TARGETS=("${ALL_TARGETS[@]}")
    WRITER_GROUP='writer:^kafka-producer' abba_passes kafka "$PASSES" ai aikafka
  else
    log "kafka-logger comparison skipped: the kafka-logger route does not answer (HTTP ${SMOKE_CODE:-?})"
  fi
  # the route goes first (its last batch is flushed to the broker), so later sections never retry
  # sends to a stopped broker
  delete_route bench-ai-kafka
  sleep 2
  stop_kafka
}
if [ "$ONLY_TWINS" = 0 ]; then
  log "== streaming (targets ${SSE_TARGETS[*]})"
  sse_passes
fi

if [ "$METRICS" = 1 ] && [ "$ONLY_TWINS" = 0 ]; then
  # The same gateway with and without the prometheus plugin on a global rule, alternating within each
  # pass so that both states see the same machine; the plugin records in the log phase of every request.
  log "== metrics: prometheus on a global rule vs off (c50, pinned, alternating)"
  # the recording path is compiled before it is measured, as every other section's code is
  global_rule bench-prom '{"plugins":{"prometheus":{}}}'; sleep 0.5
  warm_up $((WARMUP / 2)) 1
  ALL_TARGETS=("${TARGETS[@]}"); TARGETS=()
  for t in "${ALL_TARGETS[@]}"; do case "$t" in plain|ai) TARGETS+=("$t") ;; esac; done
  prev_state=on
  for pass in $(seq 1 "$PASSES"); do
    for state in off on on off; do
      if [ "$state" != "$prev_state" ]; then
        if [ "$state" = on ]; then global_rule bench-prom '{"plugins":{"prometheus":{}}}'; else global_rule bench-prom ""; fi
        sleep 0.5
        # a global rule change rebuilds every route: the first requests bind their label series again
        # and the JIT adapts to the other plugin list; settle (discarded) so the runs measure the
        # plugin's steady cost, not the change
        warm_up 4 1
        prev_state=$state
      fi
      for t in "${TARGETS[@]}"; do run_wrk "metrics-$state" "$pass" "$t" c50 1; done
    done
  done
  TARGETS=("${ALL_TARGETS[@]}")
  global_rule bench-prom ""
fi

if [ "$ONLY_TWINS" = 0 ]; then
  log "== propagation, built-in store"
  propagation builtin-small
fi

GW_TARGETS=()
for t in "${TARGETS[@]}"; do case "$t" in plain|ai) GW_TARGETS+=("$t") ;; esac; done
# The memory figure of the core suite (plain and ai-proxy routes, c50/c1, streams, prometheus, config
# changes: what the issue's table measured) is taken here, before the loggers' and the cache's
# sections load their clients (kafka-clients, SQLite) into the same gateway; those follow, with a
# figure of their own.
[ "$ONLY_TWINS" = 1 ] || record_resources 1 # the suite did not run: no resource figures

# ---------------------------------------------------------------- twins
# On a shared host a gateway's CPU per request swings by ±20 % between adjacent 10-s runs (other
# tenants on the same physical core and caches): more than the 5 % a plugin may cost, so on/off runs
# taken one after the other cannot show it. Twins can: a second gateway, pinned to the same core as
# the first, loaded at the same time (two wrk, 25 connections each, on the load core). Both see the
# same swings, and the ratio of their CPU per request cancels them. The plugin is on in one twin and
# off in the other, swapped between runs (B, A, A, B in a pass) so that the twins' own difference
# (a few %) cancels too: each pair of runs gives one loss, from the geometric mean of its two ratios.
# The loss is the gateway's CPU per request with the plugin over without it, i.e. the RPS it loses on a
# core of its own; the RPS ratio of the shared core is shown beside it.
TWIN_PID="" TWIN_PORT="" TWIN_ADMIN=""
twin_start() {
  local a_pid="$GW_PID" a_port="$GW_PORT" a_admin="$GW_ADMIN"
  start_gateway gw-twin builtin 1
  TWIN_PID="$GW_PID" TWIN_PORT="$GW_PORT" TWIN_ADMIN="$GW_ADMIN"
  setup_routes
  sleep 0.5
  local t # the twin is a fresh JVM: warm the routes the cases load (discarded), as the first gateway was
  for t in plain ai ailog; do
    log "twin warm-up $t $((WARMUP / 3 + 1)) s (discarded)"
    twin_load $((WARMUP / 3 + 1)) "$(url_of "$t")" /dev/null
  done
  GW_PID="$a_pid" GW_PORT="$a_port" GW_ADMIN="$a_admin"
}
twin_admin() { # a|b command...: runs an admin helper (put_route, global_rule, delete_route) on that twin
  local t="$1"; shift
  if [ "$t" = b ]; then GW_ADMIN="$TWIN_ADMIN" "$@"; else "$@"; fi
}
twin_load() { # seconds url out-file: one wrk of 25 connections on the load core; its summary line to out-file
  BENCH_BODY="$BENCH/load/chat.json" timeout $(($1 + 30)) $PIN_LOAD wrk -t1 -c25 -d"$1s" --timeout 5s \
    -s "$BENCH/load/post.lua" "$2" 2>&1 | grep '^WRK ' > "$3"
}
TWIN_CPU_RATIO="" TWIN_RPS_RATIO=""
twin_run() { # section pass on-twin(a|b) off-target on-target [discard]: both twins loaded at once
  local section="$1" pass="$2" on="$3" offt="$4" ont="$5" discard="${6:-}" ua ub c0a c0b c1a c1b
  local secs="$DURATION"; [ -n "$discard" ] && secs="$discard"
  if [ "$on" = b ]; then ua="$(url_of "$offt")"; ub="$(url_of "$ont")"; else ua="$(url_of "$ont")"; ub="$(url_of "$offt")"; fi
  ub="${ub/:$GW_PORT\//:$TWIN_PORT/}"
  c0a=$(cpu_ticks "$GW_PID"); c0b=$(cpu_ticks "$TWIN_PID")
  twin_load "$secs" "$ua" "$WORK/twin-a.out" & local wa=$!
  twin_load "$secs" "$ub" "$WORK/twin-b.out" & local wb=$!
  wait "$wa" "$wb"
  c1a=$(cpu_ticks "$GW_PID"); c1b=$(cpu_ticks "$TWIN_PID")
  [ -n "$discard" ] && return 0
  declare -A va=() vb=(); local kv
  for kv in $(sed 's/^WRK //' "$WORK/twin-a.out"); do va[${kv%%=*}]="${kv#*=}"; done
  for kv in $(sed 's/^WRK //' "$WORK/twin-b.out"); do vb[${kv%%=*}]="${kv#*=}"; done
  if [ -z "${va[requests]:-}" ] || [ -z "${vb[requests]:-}" ] || [ "${va[requests]}" = 0 ] || [ "${vb[requests]}" = 0 ]; then
    log "twin $section pass $pass: a wrk produced no summary"; raw "$section" "$pass" on c50_errors 1; TWIN_CPU_RATIO=""; return
  fi
  local cua cub; cua=$(awk -v d=$((c1a - c0a)) -v n="${va[requests]}" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d*1e6/hz/n}')
  cub=$(awk -v d=$((c1b - c0b)) -v n="${vb[requests]}" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d*1e6/hz/n}')
  local ea=$(( va[err_connect] + va[err_read] + va[err_write] + va[err_status] + va[err_timeout] ))
  local eb=$(( vb[err_connect] + vb[err_read] + vb[err_write] + vb[err_status] + vb[err_timeout] ))
  local con coff ron roff eon eoff
  if [ "$on" = b ]; then con=$cub coff=$cua ron="${vb[rps]}" roff="${va[rps]}" eon=$eb eoff=$ea
  else con=$cua coff=$cub ron="${va[rps]}" roff="${vb[rps]}" eon=$ea eoff=$eb; fi
  raw "$section" "$pass" on c50_cpu_us "$con"; raw "$section" "$pass" off c50_cpu_us "$coff"
  raw "$section" "$pass" on c50_rps "$ron"; raw "$section" "$pass" off c50_rps "$roff"
  raw "$section" "$pass" on c50_errors "$eon"; raw "$section" "$pass" off c50_errors "$eoff"
  TWIN_CPU_RATIO=$(awk -v a="$con" -v b="$coff" 'BEGIN{printf "%.6f", a/b}')
  TWIN_RPS_RATIO=$(awk -v a="$ron" -v b="$roff" 'BEGIN{printf "%.6f", a/b}')
  log "$(printf '%-16s pass %s on=%s cpu/req on=%sus off=%sus rps on=%s off=%s errors=%s' "$section" "$pass" "$on" \
    "$con" "$coff" "$ron" "$roff" $((eon + eoff)))"
}
twin_case() { # section off-target on-target [global-rule-json]: with a rule, it is the plugin (same route)
  local section="$1" offt="$2" ont="$3" rule="${4:-}" pass on prev="" k r1="" q1="" warmed=""
  log "== twins: $section"
  for pass in $(seq 1 "$PASSES"); do
    k=0
    for on in b a a b; do
      k=$((k + 1))
      if [ "$on" != "$prev" ]; then
        if [ -n "$rule" ]; then
          twin_admin "$on" global_rule bench-twin "$rule"
          twin_admin "$([ "$on" = a ] && echo b || echo a)" global_rule bench-twin ""
          sleep 0.5
        fi
        # after a switch the first requests bind their series and the JIT adapts (discarded); the
        # first time each twin has the plugin on gets a longer run, so that the plugin's path is
        # compiled in both twins before it is measured (with only the first switch long, the other
        # twin's first measured run had an on/off CPU ratio 1.24-1.41 times its next run's, in every case)
        twin_run "$section" "$pass" "$on" "$offt" "$ont" "$(case "$warmed" in *"$on"*) echo 4 ;; *) echo $((WARMUP / 2)) ;; esac)"
        warmed="$warmed$on" prev="$on"
      fi
      twin_run "$section" "$pass" "$on" "$offt" "$ont"
      if [ $((k % 2)) = 1 ]; then
        r1="$TWIN_CPU_RATIO" q1="$TWIN_RPS_RATIO"
      elif [ -n "$r1" ] && [ -n "$TWIN_CPU_RATIO" ]; then # runs 1+2 and 3+4: one on each twin
        raw "$section" "$pass" pair cpu_loss_pct "$(awk -v x="$r1" -v y="$TWIN_CPU_RATIO" 'BEGIN{printf "%.3f", (1 - 1/sqrt(x*y))*100}')"
        raw "$section" "$pass" pair rps_loss_pct "$(awk -v x="$q1" -v y="$TWIN_RPS_RATIO" 'BEGIN{printf "%.3f", (1 - sqrt(x*y))*100}')"
      fi
    done
  done
  if [ -n "$rule" ]; then twin_admin a global_rule bench-twin ""; twin_admin b global_rule bench-twin ""; fi
}
if [ "$TWIN" = 1 ] && printf '%s\n' "${TARGETS[@]}" | grep -qx ai; then
  twin_start
  [ "$METRICS" = 1 ] && twin_case twin-prometheus-plain plain plain '{"plugins":{"prometheus":{}}}'
  [ "$METRICS" = 1 ] && twin_case twin-prometheus-ai ai ai '{"plugins":{"prometheus":{}}}'
  [ "$REQLOG" = 1 ] && twin_case twin-reqlog ai ailog
  if [ "$KAFKA" = 1 ] && start_kafka; then
    if twin_admin a put_route bench-ai-kafka "$(ai_kafka_route /kafka/v1/chat/completions "$MOCK_PORT" "$KAFKA_PORT")" \
        && twin_admin b put_route bench-ai-kafka "$(ai_kafka_route /kafka/v1/chat/completions "$MOCK_PORT" "$KAFKA_PORT")" \
        && sleep 0.5 && answers aikafka; then
      twin_case twin-kafka ai aikafka
    fi
    twin_admin a delete_route bench-ai-kafka; twin_admin b delete_route bench-ai-kafka
    sleep 2
    stop_kafka
  fi
  stop_pid "$TWIN_PID"; forget_pid "$TWIN_PID"; TWIN_PID=""
fi

if [ "$REQLOG" = 1 ] && [ "$ONLY_TWINS" = 0 ]; then
  # ai-request-log on vs off: the same ai-proxy route with and without it, interleaved in the same passes
  if printf '%s\n' "${TARGETS[@]}" | grep -qx ai && answers ailog; then
    log "== request log: ai-proxy route with ai-request-log vs without (pinned)"
    ALL_TARGETS=("${TARGETS[@]}"); TARGETS=(ai ailog)
    warm_up "$WARMUP" 1 # a whole warm-up: the logger's path (JDBC, the producer) is compiled before it is measured
    TARGETS=("${ALL_TARGETS[@]}")
    WRITER_GROUP='writer:^aigw-request-lo' abba_passes reqlog "$PASSES" ai ailog
    log "request log rows: $(sqlite3 "$WORK/gw-builtin/logs/requests.db" 'SELECT COUNT(*) FROM llm_requests' 2>&1)"
  else
    log "request log comparison skipped: the ai target or the ai-request-log route does not answer"
  fi
fi

[ "$KAFKA" = 1 ] && [ "$ONLY_TWINS" = 0 ] && kafka_section

if [ "$CACHE" = 1 ]; then
  # ai-cache: a hit (answered from the in-process cache) vs a miss (lookup + provider + store) vs the
  # same route without the plugin, interleaved in the same passes
  if printf '%s\n' "${TARGETS[@]}" | grep -qx ai && answers aicache && answers aimiss; then
    log "== ai-cache: hit vs miss vs no cache (pinned)"
    ALL_TARGETS=("${TARGETS[@]}"); TARGETS=(ai aimiss aicache)
    warm_up $((WARMUP / 2)) 1
    TARGETS=("${ALL_TARGETS[@]}")
    load_passes cache "$PASSES" 1 ai aimiss aicache
  else
    log "ai-cache comparison skipped: a target does not answer"
  fi
fi

[ "$ONLY_TWINS" = 1 ] || record_resources 1 res-loggers
stop_gateway

# ---------------------------------------------------------------- request log on PostgreSQL
# The same on/off comparison as the request-log section, with the rows going to PostgreSQL (Debian's
# server, initdb in the run's directory, on the load generator's core as the Kafka broker: it is the
# log's destination, not the proxy under test). The database is per gateway (plugin_attr), so this is
# a gateway of its own, started after the main one stopped.
PG_PID="" PG_DIR="$WORK/postgres"
start_postgres() {
  local bin port i as=()
  bin="${AIGW_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
  [ -x "$bin/postgres" ] || { log "postgres: no server binaries (package postgresql, or AIGW_PG_BIN)"; return 1; }
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then # initdb and postgres refuse root: run them as nobody (setpriv execs)
    chown nobody:nogroup "$PG_DIR"; as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env --)
  fi
  timeout 120 "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U aigw --auth=trust -E UTF8 --no-locale --no-sync \
    >"$WORK/postgres-initdb.log" 2>&1 || { log "postgres: initdb failed (see $WORK/postgres-initdb.log)"; return 1; }
  port=$(free_port)
  # durability as the tests run it (no fsync): the section measures the gateway, not the disk
  $PIN_LOAD "${as[@]}" "$bin/postgres" -D "$PG_DIR/data" -p "$port" -h 127.0.0.1 -k "$PG_DIR" \
    -c fsync=off -c full_page_writes=off -c max_connections=20 -c shared_buffers=32MB >"$PG_DIR/postgres.log" 2>&1 &
  PG_PID=$!; PIDS+=("$PG_PID")
  for i in $(seq 1 300); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U aigw && { PG_PORT=$port; return 0; }
    kill -0 "$PG_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "postgres: did not start (see $PG_DIR/postgres.log)"; return 1
}
reqlog_pg_section() {
  start_postgres || { meta skip_reqlog_pg "PostgreSQL did not start"; return; }
  log "postgres 127.0.0.1:$PG_PORT (pid $PG_PID)"
  GW_REQLOG_DSN="postgresql://aigw@127.0.0.1:$PG_PORT/postgres" start_gateway gw-pg builtin 1
  put_route bench-ai "$(ai_route /v1/chat/completions "$MOCK_PORT")" \
    && put_route bench-ai-log "$(ai_log_route /log/v1/chat/completions "$MOCK_PORT")" && sleep 0.5
  if answers ai && answers ailog; then
    log "== request log on PostgreSQL: ai-proxy route with ai-request-log vs without (pinned)"
    ALL_TARGETS=("${TARGETS[@]}"); TARGETS=(ai ailog)
    warm_up "$WARMUP" 1
    TARGETS=("${ALL_TARGETS[@]}")
    WRITER_GROUP='writer:^aigw-request-lo' abba_passes reqlog-pg "$PASSES" ai ailog
    log "request log rows (PostgreSQL): $(curl -s -m 10 -H "X-API-KEY: $ADMIN_KEY" \
      "http://127.0.0.1:$GW_ADMIN/apisix/admin/ai-request-log/stats")"
  else
    log "request log on PostgreSQL skipped: a route does not answer (HTTP ${SMOKE_CODE:-?})"
  fi
  stop_gateway
  stop_pid "$PG_PID"; forget_pid "$PG_PID"; PG_PID=""
}
[ "$REQLOG" = 1 ] && [ "$REQLOG_PG" = 1 ] && printf '%s\n' "${TARGETS[@]}" | grep -qx ai && reqlog_pg_section

if [ "$SCALE" = 1 ]; then
  log "== scale: $SCALE_ROUTES routes written into the stopped gateway's store, then a restart"
  timeout 120 "${TOOL[@]}" store-append --file "$WORK/gw-builtin/data/store.json" --count "$SCALE_ROUTES" \
    --upstream "127.0.0.1:$MOCK_PORT" | tee -a "$LOG" || die "store-append failed"
  # The same routes on a gateway without the 10 000 others, measured in the same window, interleaved
  # with the loaded one: the loss is then not the machine getting slower or faster between phases.
  KEEP_PORT="$GW_PORT" KEEP_ADMIN="$GW_ADMIN"
  start_gateway gw-base builtin 1
  setup_routes
  BASE_PID="$GW_PID" BASE_PORT="$GW_PORT"
  GW_PORT="$KEEP_PORT" GW_ADMIN="$KEEP_ADMIN" # the restarted gateway keeps its configuration and ports
  start_gateway gw-builtin builtin 1 "" keep
  wait_scale_visible builtin
  check_targets
  SCALE_TARGETS=()
  for t in "${TARGETS[@]}"; do
    case "$t" in
      plain|ai) answers "b$t" && SCALE_TARGETS+=("b$t")
                SCALE_TARGETS+=("$t") ;;
    esac
  done
  ALL_TARGETS=("${TARGETS[@]}"); TARGETS=("${SCALE_TARGETS[@]}")
  warm_up $((WARMUP * ${#SCALE_TARGETS[@]} / 2)) 1
  TARGETS=("${ALL_TARGETS[@]}")
  [ "${#SCALE_TARGETS[@]}" -gt 0 ] && load_passes scale "$PASSES" 1 "${SCALE_TARGETS[@]}"
  stop_pid "$BASE_PID"; forget_pid "$BASE_PID"; BASE_PID="" BASE_PORT=""
  propagation builtin-10k
  record_resources 2
  stop_gateway
fi

if [ "$PLUGINS" = 1 ]; then
  # Plugin cost: the ai-proxy route plus one plugin vs the bare route, c50 pinned, in the same passes;
  # the bare route runs again after every four cases so that drift over the section reaches both.
  # A gateway of its own: the plugins' clients and classes stay out of the main suite's memory figure.
  start_gateway gw-plugins builtin 1
  setup_routes
  setup_plugin_routes
  sleep 0.5
  P_TARGETS=()
  if printf '%s\n' "${TARGETS[@]}" | grep -qx ai; then
    for c in "${PLUGIN_CASES[@]}"; do
      if answers "p:$c"; then
        P_TARGETS+=("p:$c")
      else
        log "plugin case $c unavailable: HTTP $SMOKE_CODE $(head -c 200 "$WORK/smoke-p:$c.out")"
        meta "skip_p:$c" "HTTP $SMOKE_CODE at smoke check"
      fi
    done
  fi
  if [ "${#P_TARGETS[@]}" -gt 0 ]; then
    log "== plugin cost: ai-proxy route + one plugin vs without (c50 pinned): ${P_TARGETS[*]}"
    for t in ai "${P_TARGETS[@]}"; do # the fresh gateway's paths, each case's own too (discarded)
      d=$((WARMUP / 6 + 2)); [ "$t" = ai ] && d="$WARMUP"
      BENCH_BODY="$(body_of "$t")" BENCH_HEADER="$(header_of "$t")" timeout $((d + 30)) $PIN_LOAD wrk -t2 -c50 \
        -d"${d}s" --timeout 5s -s "$BENCH/load/post.lua" "$(url_of "$t")" >/dev/null 2>&1
    done
    truncate_access_log
    for pass in $(seq 1 "$PASSES"); do
      i=0
      run_wrk plugins "$pass" ai c50 1
      for t in "${P_TARGETS[@]}"; do
        run_wrk plugins "$pass" "$t" c50 1
        i=$((i + 1)); [ $((i % 4)) = 0 ] && run_wrk plugins "$pass" ai c50 1
      done
      [ $((i % 4)) = 0 ] || run_wrk plugins "$pass" ai c50 1
      # the protocol conversion's added latency: c1 on the converted and the native path
      if printf '%s\n' "${P_TARGETS[@]}" | grep -qx p:anthropic; then
        run_wrk plugins "$pass" ai c1 1; run_wrk plugins "$pass" p:anthropic c1 1
      fi
    done
  fi
  record_resources 1 res-plugins
  stop_gateway
fi

# ---------------------------------------------------------------- route fields
# upstream.checks: the plain route with an active HTTP health check (every second) against the plain
# route without, c50 and c1 pinned, in the same passes; then the prober's cost on an idle gateway: its
# CPU over IDLE_S s without load, with the checks route deleted and put back (order alternating per
# pass). WebSocket: a route with enable_websocket to an echo server (testkit's WsBench, Vert.x, one
# event loop, on CPU 1 with the gateway) against the echo server direct, driven by WsBench's ping-pong
# load on CPU 0 (wrk cannot speak WebSocket): 50 connections and 1, 200-byte text messages, each sent
# when the previous one's echo came back. A gateway of its own, like the plugin section.
IDLE_S=30 WS_WARM=5
[ "$QUICK" = 1 ] && IDLE_S=10 WS_WARM=2
ECHO_PID="" ECHO_PORT=""
WS_CP="$ROOT/testkit/target/classes:$JAR" # WsBench and Vert.x (the gateway's jar holds it, unrelocated)
WS_LINE=""
# The load tool is a new JVM per run: C1 only (as BenchTool) reaches its steady state within the
# in-run warm-up, the same for both paths.
ws_load() { # target(wsdirect|wsgw) conns seconds warmup → WS_LINE (its result line, "" if none), WS_OUT
  local port="$ECHO_PORT"
  [ "$1" = wsgw ] && port="$GW_PORT"
  WS_OUT=$(timeout $(($3 + $4 + 90)) $PIN_LOAD java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$WS_CP" dev.aigw.testkit.WsBench load \
    --port "$port" --path /ws/echo --conns "$2" --size 200 --duration "$3" --warmup "$4" --loops 2 --timeout 5 2>&1)
  WS_LINE=$(grep '^WS conns=' <<<"$WS_OUT")
}
ws_answers() { # target: one connection, one second, every message echoed
  ws_load "$1" 1 1 0
  grep -q ' errors=0$' <<<"$WS_LINE" && ! grep -q ' messages=0 ' <<<"$WS_LINE"
}
ws_run() { # pass target profile(c50|c1)
  local pass="$1" t="$2" profile="$3" conns=50 c0 c1 kv cpu_us
  [ "$profile" = c1 ] && conns=1
  c0=$(cpu_ticks "$(pid_of "$t")")
  ws_load "$t" "$conns" "$DURATION" "$WS_WARM"
  c1=$(cpu_ticks "$(pid_of "$t")")
  if [ -z "$WS_LINE" ]; then
    log "ws $t/$profile: no result: $(tail -3 <<<"$WS_OUT" | tr '\n' ' ')"
    raw ws "$pass" "$t" "${profile}_errors" "$conns"
    return
  fi
  declare -A v=()
  for kv in ${WS_LINE#WS }; do v[${kv%%=*}]="${kv#*=}"; done
  # CPU of the process under test (gateway, or the echo server direct) per echoed message, warm-up included
  cpu_us=$(awk -v d="$((c1 - c0))" -v n="${v[all]}" -v hz="$CLK_TCK" 'BEGIN{ if (n>0) printf "%.2f", d*1e6/hz/n; else print "nan" }')
  raw ws "$pass" "$t" "${profile}_mps" "${v[mps]}"
  for m in p50 p90 p99 max errors; do raw ws "$pass" "$t" "${profile}_$m" "${v[$m]}"; done
  raw ws "$pass" "$t" "${profile}_cpu_us" "$cpu_us"
  log "$(printf 'ws       pass %s %-8s %-4s msg/s=%-9s p50=%-6s p99=%-6s cpu/msg=%sus errors=%s %s' \
    "$pass" "$t" "$profile" "${v[mps]}" "${v[p50]}" "${v[p99]}" "$cpu_us" "${v[errors]}" "$(grep '^WS first_error' <<<"$WS_OUT")")"
}
healthchecked() { # the checks route's upstream is probed: one prober running, its node healthy
  local out i
  for i in $(seq 1 50); do
    out=$(curl -s -m 5 -H "X-API-KEY: $ADMIN_KEY" "http://127.0.0.1:$GW_ADMIN/apisix/admin/aigw/healthcheck")
    grep -qE '"probers" *: *1[,}]' <<<"$out" && grep -qE '"status" *: *"healthy"' <<<"$out" && return 0
    sleep 0.2
  done
  log "health check of the checks route not running: $(head -c 300 <<<"$out")"
  return 1
}
unchecked() { # the checks route deleted: its prober stopped
  local i
  for i in $(seq 1 50); do
    curl -s -m 5 -H "X-API-KEY: $ADMIN_KEY" "http://127.0.0.1:$GW_ADMIN/apisix/admin/aigw/healthcheck" \
      | grep -qE '"probers" *: *0[,}]' && return 0
    sleep 0.2
  done
  log "the checks route's prober still runs after the route was deleted"
  return 1
}
idle_cpu() { # pass label: the gateway's CPU (ms) over IDLE_S s without load
  local c0 c1
  c0=$(cpu_ticks "$GW_PID"); sleep "$IDLE_S"; c1=$(cpu_ticks "$GW_PID")
  raw fields "$1" "$2" idle_cpu_ms "$(( (c1 - c0) * 1000 / CLK_TCK ))"
  log "idle $2 pass $1: gateway CPU $(( (c1 - c0) * 1000 / CLK_TCK )) ms over ${IDLE_S} s"
}
fields_section() {
  local t pass d state order profile
  start_gateway gw-fields builtin 1
  put_route bench-plain "$(plain_route /plain/v1/chat/completions "$MOCK_PORT")" || log "plain route refused"
  put_route bench-checks "$(checks_route /checks/v1/chat/completions "$MOCK_PORT")" || log "upstream.checks route refused"
  sleep 0.5
  if ! answers plain; then
    log "route fields: plain route unavailable: HTTP $SMOKE_CODE $(head -c 200 "$WORK/smoke-plain.out")"
    meta skip_f_checks "the plain route answered HTTP $SMOKE_CODE at smoke check"
  elif ! answers checks || ! healthchecked; then
    log "route fields: upstream.checks route unavailable: HTTP $SMOKE_CODE $(head -c 200 "$WORK/smoke-checks.out")"
    meta skip_f_checks "HTTP $SMOKE_CODE or no prober at smoke check"
  else
    log "== route fields: plain route with upstream.checks (active, 1 s) vs without (pinned)"
    for t in plain checks; do # the fresh gateway's path (discarded)
      d="$WARMUP"; [ "$t" = checks ] && d=$((WARMUP / 6 + 2))
      BENCH_BODY="$BENCH/load/chat.json" timeout $((d + 30)) $PIN_LOAD wrk -t2 -c50 -d"${d}s" --timeout 5s \
        -s "$BENCH/load/post.lua" "$(url_of "$t")" >/dev/null 2>&1
    done
    truncate_access_log
    for pass in $(seq 1 "$PASSES"); do # the order alternates per pass: a JIT still warming favours neither
      order="plain checks"; [ $((pass % 2)) = 0 ] && order="checks plain"
      for profile in c50 c1; do for t in $order; do run_wrk fields "$pass" "$t" "$profile" 1; done; done
    done
    log "== route fields: idle gateway CPU over ${IDLE_S} s with the checks route vs without"
    sleep 5 # what the load left (compilations, a collection) settles first
    for pass in $(seq 1 "$PASSES"); do
      for state in $( [ $((pass % 2)) = 1 ] && echo "off on" || echo "on off"); do
        if [ "$state" = off ]; then
          delete_route bench-checks
          unchecked || break
        else
          put_route bench-checks "$(checks_route /checks/v1/chat/completions "$MOCK_PORT")" && healthchecked \
            || { log "checks route not back"; break; }
        fi
        sleep 2
        idle_cpu "$pass" "idle-checks-$state"
      done
    done
  fi

  if [ ! -f "$ROOT/testkit/target/classes/dev/aigw/testkit/WsBench.class" ]; then
    log "route fields: WebSocket skipped: testkit not built (WsBench.class)"; meta skip_ws "testkit not built"
  else
    ECHO_PORT=$(free_port)
    $PIN_SUT java -Xms32m -Xmx128m -XX:+UseSerialGC -cp "$WS_CP" dev.aigw.testkit.WsBench echo --port "$ECHO_PORT" \
      >"$WORK/ws-echo.log" 2>&1 &
    ECHO_PID=$!; PIDS+=("$ECHO_PID")
    if ! wait_http "http://127.0.0.1:$ECHO_PORT/" 60; then
      log "route fields: WebSocket skipped: echo server did not start ($WORK/ws-echo.log)"; meta skip_ws "echo server did not start"
    elif ! put_route bench-ws "$(ws_route /ws/echo "$ECHO_PORT")" || ! sleep 0.5 || ! ws_answers wsdirect || ! ws_answers wsgw; then
      log "route fields: WebSocket unavailable at smoke check: $WS_LINE $(grep '^WS first_error' <<<"$WS_OUT") $(tail -2 <<<"$WS_OUT" | tr '\n' ' ')"
      meta skip_ws "smoke check failed: ${WS_LINE:-no result}"
    else
      log "== route fields: WebSocket echo through enable_websocket vs direct (pinned; ${DURATION} s after ${WS_WARM} s per run)"
      ws_load wsdirect 50 $((WARMUP / 2)) 0 # the echo server's path: it is the baseline, it must be steady (discarded)
      ws_load wsgw 50 $((WARMUP / 2)) 0 # the gateway's relay (discarded)
      for pass in $(seq 1 "$PASSES"); do
        order="wsdirect wsgw"; [ $((pass % 2)) = 0 ] && order="wsgw wsdirect"
        for profile in c50 c1; do
          for t in $order; do ws_run "$pass" "$t" "$profile"; done
        done
      done
    fi
  fi
  record_resources 1 res-fields
  stop_gateway
  if [ -n "$ECHO_PID" ]; then stop_pid "$ECHO_PID"; forget_pid "$ECHO_PID"; ECHO_PID=""; fi
}
[ "$FIELDS" = 1 ] && { meta idle_seconds "$IDLE_S"; fields_section; }

# Extra rows: the same jar started with other JVM flags, pinned, plain and AI routes only. They
# measure a flag's effect on throughput and latency, not just on memory.
VARIANT_NAMES=""
for v in "${VARIANTS[@]}"; do
  vname="${v%%=*}" VARIANT_OPTS="${v#*=}"
  VARIANT_NAMES="$VARIANT_NAMES $vname"
  meta "variant_$vname" "$VARIANT_OPTS"
  log "== variant $vname: java $VARIANT_OPTS -jar"
  start_gateway "gw-variant-$vname" builtin 1
  VARIANT_OPTS=""
  setup_routes
  sleep 0.5
  V_TARGETS=()
  for t in "${TARGETS[@]}"; do case "$t" in plain|ai) answers "$t" && V_TARGETS+=("$t") ;; esac; done
  ALL_TARGETS=("${TARGETS[@]}"); TARGETS=("${V_TARGETS[@]}")
  warm_up "$WARMUP" 1
  TARGETS=("${ALL_TARGETS[@]}")
  [ "${#V_TARGETS[@]}" -gt 0 ] && load_passes "variant-$vname" "$PASSES" 1 "${V_TARGETS[@]}"
  record_resources 1 "variant-$vname"
  stop_gateway
done
meta variants "${VARIANT_NAMES# }"

if [ "$UNPINNED" = 1 ]; then
  log "== unpinned (a fresh gateway; nginx and mocks free to use both CPUs)"
  for p in "$MOCK_PID" "$HOP_PID" "$SSE_PID"; do
    for q in $p $(cat /proc/"$p"/task/*/children 2>/dev/null); do taskset -a -p -c 0-$((CPUS - 1)) "$q" >/dev/null 2>&1; done
  done
  start_gateway gw-unpinned builtin 0
  setup_routes
  sleep 0.5
  warm_up "$WARMUP" 0
  load_passes unpinned 1 0 "${TARGETS[@]}"
  stop_gateway
  for p in "$MOCK_PID" "$HOP_PID" "$SSE_PID"; do
    for q in $p $(cat /proc/"$p"/task/*/children 2>/dev/null); do taskset -a -p -c $((CPUS > 1 ? 1 : 0)) "$q" >/dev/null 2>&1; done
  done
fi

if [ "$ETCD" = 1 ]; then
  if need etcd; then
    log "== etcd: propagation"
    ETCD_PORT=$(free_port); ETCD_PEER=$(free_port)
    etcd --name bench --data-dir "$WORK/etcd-data" --logger=zap --log-level=warn \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
      --initial-cluster "bench=http://127.0.0.1:$ETCD_PEER" >"$WORK/etcd.log" 2>&1 &
    ETCD_PID=$!; PIDS+=("$ETCD_PID")
    wait_http "http://127.0.0.1:$ETCD_PORT/health" 20 || die "etcd did not start ($WORK/etcd.log)"
    start_gateway gw-etcd etcd 1 "http://127.0.0.1:$ETCD_PORT"
    propagation etcd-small
    if [ "$SCALE" = 1 ]; then
      log "putting $SCALE_ROUTES routes into etcd: $(timeout 400 "${TOOL[@]}" etcd-load --etcd "http://127.0.0.1:$ETCD_PORT" \
        --prefix "/apisix-bench-$STAMP" --count "$SCALE_ROUTES" --upstream "127.0.0.1:$MOCK_PORT" 2>&1 | tail -1)"
      wait_scale_visible etcd
      propagation etcd-10k
      record_resources 3
    fi
    stop_gateway
    stop_pid "$ETCD_PID"; forget_pid "$ETCD_PID"
  else
    log "etcd not installed: etcd propagation skipped"
  fi
fi

# ---------------------------------------------------------------- report
OUT="$BENCH/results/$STAMP$([ "$QUICK" = 1 ] && echo -quick).md"
"${TOOL[@]}" report --raw "$RAW" --meta "$META" --out "$OUT" > "$WORK/report.out" 2>&1 || die "report failed"
cp "$RAW" "${OUT%.md}.tsv"
log "report: $OUT"
echo
if [ "$QUICK" = 1 ]; then
  echo "QUICK RUN: ${DURATION} s runs after a ${WARMUP} s warm-up, one pass, on a JIT that is still compiling."
  echo "These verdicts are NOT comparable with a full run's (bench/run.sh without --quick); use them to spot breakage only."
fi
sed -n '/^### Goals/,$p' "$OUT" | grep '^| ' | tail -n +2 | awk -F'|' '{gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $5); gsub(/^ +| +$/, "", $6); printf "%-70s %s (%s)\n", $2, $6, $5}'

if [ "$JMH" = 1 ]; then
  log "== JMH micro-benchmarks"
  "$BENCH/jmh/run.sh" || log "JMH failed"
fi
