-- wrk script: POST a realistic ~1 KB OpenAI chat body (file in $BENCH_BODY) and print one
-- machine-readable summary line. Non-2xx/3xx answers are counted by wrk as status errors.
local f = assert(io.open(os.getenv("BENCH_BODY") or "bench/load/chat.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
-- BENCH_HEADER: one extra request header, "Name: value" (a gateway key for key-auth, ...)
local extra = os.getenv("BENCH_HEADER")
if extra and extra ~= "" then
  local name, value = extra:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end
local host = os.getenv("BENCH_HOST")
if host and host ~= "" then
  wrk.headers["Host"] = host
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d rps=%.1f p50=%d p90=%d p99=%d max=%d mean=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
