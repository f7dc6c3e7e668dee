-- The wrk script of `make bench` (BENCH_TOOL=wrk); bench/http/wrk-generator.ts writes the job file it reads.
-- Job file lines (tab-separated): "method\tPOST", "path\t/api/token/", "header\t<name>\t<value>", "body\t<json>",
-- and "token\t<refresh token>" lines for a refresh chain.
--
-- A refresh chain cannot be a fixed request: each refresh token is good for one request (rotation blacklists
-- it). Each wrk thread keeps a queue of live tokens; request() takes one, response() puts back the new token of
-- every 200 answer, so with C connections C tokens circulate. An empty queue sends an invalid token (a 401,
-- counted as non-2xx).

local job = assert(os.getenv("BENCH_WRK_JOB"), "BENCH_WRK_JOB is not set")
local threads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
local tokens = {}

for line in io.lines(job) do
  local kind, rest = line:match("^(%a+)\t(.*)$")
  if kind == "method" then
    wrk.method = rest
  elseif kind == "path" then
    wrk.path = rest
  elseif kind == "body" then
    wrk.body = rest
  elseif kind == "header" then
    local name, value = rest:match("^([^\t]+)\t(.*)$")
    wrk.headers[name] = value
  elseif kind == "token" then
    tokens[#tokens + 1] = rest
  end
end

if #tokens > 0 then
  local next_id = 0
  function setup(thread)
    thread:set("thread_id", next_id)
    next_id = next_id + 1
  end

  local pool, head, tail = {}, 1, 0

  function init(args)
    -- thread_id is set by setup() in this thread's Lua state before init runs.
    for i, token in ipairs(tokens) do
      if (i - 1) % threads == thread_id then
        tail = tail + 1
        pool[tail] = token
      end
    end
  end

  function request()
    local token = "pool-exhausted"
    if head <= tail then
      token = pool[head]
      pool[head] = nil
      head = head + 1
    end
    return wrk.format(nil, nil, nil, '{"refresh":"' .. token .. '"}')
  end

  function response(status, headers, body)
    if status == 200 then
      local renewed = body:match('"refresh":"([^"]+)"')
      if renewed then
        tail = tail + 1
        pool[tail] = renewed
      end
    end
  end
end

-- One machine-readable line for the harness, with wrk's own CPU ticks (utime, stime of /proc/self/stat: all
-- threads, read in the main thread after they finished).
function done(summary, latency, requests)
  local ticks = 0
  local f = io.open("/proc/self/stat", "r")
  if f then
    local stat = f:read("*a")
    f:close()
    local fields = {}
    for value in stat:match("%) (.*)$"):gmatch("%S+") do
      fields[#fields + 1] = value
    end
    -- Fields after the command name start at field 3 (state): utime is field 14, stime 15.
    ticks = tonumber(fields[12]) + tonumber(fields[13])
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,' ..
      '"timeouts":%d,"statusErrors":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"cpuTicks":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max, ticks))
end
