-- wrk: POST /api/v1/calls with a new UK mobile number each time (the first call of a new caller).
-- CASEAPP_TOKEN: an advisor's API token; CASEAPP_RUN: this run's number (each run takes fresh numbers).
local token = os.getenv("CASEAPP_TOKEN")
local run = tonumber(os.getenv("CASEAPP_RUN") or "0")
local threads = {}
local counter = 0
local thread_base = 0

function setup(thread)
  thread:set("thread_base", run * 1000000 + #threads * 100000)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  counter = counter + 1
  local phone = string.format("+4478%08d", thread_base + counter)
  return wrk.format(nil, nil, nil, '{"phone": "' .. phone .. '", "reason": "Asked about detox"}')
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
