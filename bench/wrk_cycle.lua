-- wrk script for bench/server_bench.py: every thread cycles over the request paths listed one
-- a line in the file given after `--` (e.g. presigned URLs of 1,000 keys), each thread starting
-- at a different place in the list. Requests are formatted once in init(), so the per-request
-- cost in wrk is one table lookup. done() prints one machine-readable line with the counts the
-- benchmark checks: a run with any non-2xx/3xx status or socket error is not a valid result.

local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

local requests = {}
local position = 0

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open path list " .. tostring(args[1]))
  for line in file:lines() do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("GET", line)
    end
  end
  file:close()
  assert(#requests > 0, "empty path list " .. args[1])
  position = ((thread_id or 0) * 7919) % #requests
end

function request()
  position = position + 1
  if position > #requests then
    position = 1
  end
  return requests[position]
end

function done(summary, latency, reqs)
  local e = summary.errors
  io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d bytes=%d status_errors=%d connect=%d read=%d " ..
      "write=%d timeout=%d p50_us=%d p99_us=%d\n",
      summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write,
      e.timeout, latency:percentile(50), latency:percentile(99)))
end
