-- wrk script: POSTs JSON bodies round-robin, one body per line of the file named by CAPGO_BODIES,
-- to the path in CAPGO_PATH (default /updates). Each wrk thread starts at a different offset so
-- that connections send different devices, apps and versions.
local path = os.getenv("CAPGO_BODIES")
local target = os.getenv("CAPGO_PATH") or "/updates"
local requests = {}
local index = 0
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("offset", thread_count * 7919)
end

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  for line in io.lines(path) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", target, headers, line)
    end
  end
  if #requests == 0 then
    error("no bodies in " .. tostring(path))
  end
  index = (offset or 0) % #requests
end

function request()
  index = index % #requests + 1
  return requests[index]
end

-- After the run: the percentiles wrk --latency does not print (p99.9), from the same histogram, in microseconds;
-- lib/drivers.py's parse_wrk reads this line.
function done(summary, latency, requests)
  io.write(string.format("capgo-latency-us p50 %d p90 %d p99 %d p99.9 %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
