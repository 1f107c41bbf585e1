-- wrk script for the HTTP service load run (BENCHMARKS.md): POST /v1/ask, cycling through
-- questions about the seed articles (answered and abstained), then one summary line with
-- p50/p99 and every kind of error wrk counts (non-2xx responses are "status" errors).
local questions = {
  "How long did the call between Biden and Putin last?",
  "Where did Biden take the call from?",
  "How many Russian troops are at the border?",
  "Who requested the call?",
  "What is the capital of France?",
}
local requests = {}
local n = 0

function init(args)
  for i, q in ipairs(questions) do
    requests[i] = wrk.format("POST", "/v1/ask", { ["Content-Type"] = "application/json" },
      '{"question": "' .. q .. '"}')
  end
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "SUMMARY requests=%d seconds=%.1f rps=%.1f p50_ms=%.1f p99_ms=%.1f errors: connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
