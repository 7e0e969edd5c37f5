-- wrk script for the page scenarios of bench/run.py: GET one URL with an Arabic visitor's headers
-- and, when the run ends, write the numbers bench/run.py reads to $BENCH_OUT (one JSON object).
wrk.headers["Accept-Language"] = "ar"
wrk.headers["Cookie"] = "tasharuk_lang=ar"
wrk.headers["User-Agent"] = "tasharuk-bench"
if os.getenv("BENCH_HTMX") == "1" then
  wrk.headers["HX-Request"] = "true"
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  local seconds = summary.duration / 1e6
  out:write(string.format(
    '{"requests": %d, "seconds": %.6f, "rps": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, ' ..
    '"non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
  out:close()
end
