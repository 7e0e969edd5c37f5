-- wrk script for the "support" scenario of bench/run.py: htmx POSTs that support, then withdraw,
-- then support again… an idea, each (person, idea) pair by a DISTINCT signed-in resident.
--
-- $BENCH_PAIRS lists one pair a line: thread<TAB>support path<TAB>withdraw path<TAB>cookie<TAB>csrf<TAB>state
-- (state 1 = the person supports the idea now). Run with as many threads as connections (-t8 -c8):
-- each thread then has one connection, so its requests are strictly one after the other and at
-- most one is in flight when the run stops ("pending", reported so run.py can leave it out).
-- $BENCH_OUT receives the summary: requests per second, latency, and per pair the state the last
-- successful answer left, how many supports/withdrawals succeeded, and the pairs one of whose requests
-- got no answer or a 5xx (their outcome is unknown: run.py leaves them out and counts them).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  pairs_ = {}
  state = {}
  ok_support = {}
  ok_withdraw = {}
  unanswered = {}
  statuses = {}
  pending = 0
  cursor = 0
  for line in io.lines(os.getenv("BENCH_PAIRS")) do
    local t, sp, wp, cookie, csrf, st = line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t(%d)$")
    if tonumber(t) == tid then
      table.insert(pairs_, {sp, wp, cookie, csrf})
      table.insert(state, tonumber(st))
      table.insert(ok_support, 0)
      table.insert(ok_withdraw, 0)
      table.insert(unanswered, 0)
    end
  end
end

function request()
  if pending ~= 0 then  -- the previous request got no answer (timeout, reset): its outcome is unknown
    unanswered[pending] = 1
  end
  cursor = cursor % #pairs_ + 1
  pending = cursor
  local p = pairs_[cursor]
  local path = (state[cursor] == 1) and p[2] or p[1]
  return wrk.format("POST", path, {
    ["Cookie"] = p[3] .. "; tasharuk_lang=ar",
    ["HX-Request"] = "true",
    ["User-Agent"] = "tasharuk-bench",
    ["Accept-Language"] = "ar",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "csrf_token=" .. p[4])
end

function response(status, headers, body)
  local i = pending
  pending = 0
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 500 then  -- an error answer: the change may or may not have been committed
    unanswered[i] = 1
  elseif status == 200 then
    if state[i] == 1 then
      ok_withdraw[i] = ok_withdraw[i] + 1
      state[i] = 0
    else
      ok_support[i] = ok_support[i] + 1
      state[i] = 1
    end
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  local seconds = summary.duration / 1e6
  out:write(string.format(
    '{"requests": %d, "seconds": %.6f, "rps": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, ' ..
    '"non_2xx": %d, "socket_errors": %d, "threads": [',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
  for n, thread in ipairs(threads) do
    local st, os_, ow, codes = thread:get("state"), thread:get("ok_support"), thread:get("ok_withdraw"),
      thread:get("statuses")
    local un = thread:get("unanswered")
    local parts = {}
    for code, count in pairs(codes) do
      table.insert(parts, string.format('"%d": %d', code, count))
    end
    out:write(string.format('%s{"tid": %d, "pending": %d, "state": [%s], "ok_support": [%s], ' ..
      '"ok_withdraw": [%s], "unanswered": [%s], "statuses": {%s}}', n > 1 and ", " or "", thread:get("tid"),
      thread:get("pending"), table.concat(st, ", "), table.concat(os_, ", "), table.concat(ow, ", "),
      table.concat(un, ", "), table.concat(parts, ", ")))
  end
  out:write("]}\n")
  out:close()
end
