-- The one wrk script of the benchmark (bench/run.py writes the files it reads):
--
--   wrk ... -s bench/wrk.lua URL -- get FILE              GET each path of FILE (one a line) in turn
--   wrk ... -s bench/wrk.lua URL -- post FILE             POST each JSON body of FILE (one a line) in turn
--   wrk ... -s bench/wrk.lua URL -- crossings FILE ITEMS THREADS POINT
--       POST ITEMS new crossings of the permit numbers in FILE, each with a new UUID: ITEMS >= 2 sends
--       entry and exit pairs (a day trip: entry 30 s ago, exit 29 s ago); ITEMS = 1 sends one permit's
--       entry, then its exit in the thread's next request. Each thread takes its own share of the
--       permits, so no two threads send crossings of the same holder.
--
-- Every thread counts the answers other than 200 and, for crossings, the items the server did not
-- store; done() prints one line "BENCH {json}" that bench/run.py reads.

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

-- per thread (globals, so that done() can read them with thread:get)
bad_status = 0
bad_items = 0
first_bad = ""

local mode, lines, items, point
local position = 0
local sequence = 0

function init(args)
  mode = args[1]
  local all = {}
  for line in io.lines(args[2]) do
    if line ~= "" then all[#all + 1] = line end
  end
  lines = all
  if mode == "crossings" then
    items = tonumber(args[3])
    local share, threads_total = {}, tonumber(args[4])
    for index, line in ipairs(all) do
      if (index - 1) % threads_total == tid - 1 then share[#share + 1] = line end
    end
    lines = share
    point = args[5]
  else
    position = math.floor((tid - 1) * #lines / 2)  -- the threads start at different places
  end
  if mode ~= "get" then wrk.headers["Content-Type"] = "application/json" end
  math.randomseed(os.time() * 1000 + tid)
end

local function uuid()
  sequence = sequence + 1
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), 0x8000 + math.random(0, 0x3fff), tid, sequence)
end

local function crossing(number, direction, at)
  return string.format(
    '{"id":"%s","permit_number":"%s","crossing_point":"%s","direction":"%s","at":"%s","offline":true}',
    uuid(), number, point, direction, os.date("!%Y-%m-%dT%H:%M:%SZ", at))
end

local function next_line()
  position = position % #lines + 1
  return lines[position]
end

function request()
  if mode == "get" then
    return wrk.format("GET", next_line())
  elseif mode == "post" then
    return wrk.format("POST", nil, nil, next_line())
  end
  local now = os.time()
  local parts = {}
  if items == 1 then
    -- the holder's entry, then in the thread's next request the same holder's exit
    local number = lines[math.floor(position / 2) % #lines + 1]
    local entry = position % 2 == 0
    position = position + 1
    parts[1] = crossing(number, entry and "entry" or "exit", entry and now - 30 or now - 29)
  else
    for _ = 1, math.floor(items / 2) do
      local number = next_line()
      parts[#parts + 1] = crossing(number, "entry", now - 30)
      parts[#parts + 1] = crossing(number, "exit", now - 29)
    end
  end
  return wrk.format("POST", nil, nil, "[" .. table.concat(parts, ",") .. "]")
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  elseif mode == "crossings" then
    local _, invalid = string.gsub(body, '"status":%s*"invalid"', "")
    local _, refused = string.gsub(body, '"status":%s*"refused"', "")
    bad_items = bad_items + invalid + refused
    if invalid + refused > 0 and first_bad == "" then first_bad = string.sub(body, 1, 300) end
  end
end

local function json_string(text)
  return '"' .. string.gsub(string.gsub(text, '[%c\\"]', " "), "%s+", " ") .. '"'
end

function done(summary, latency, requests)
  local status, item_errors, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    status = status + thread:get("bad_status")
    item_errors = item_errors + thread:get("bad_items")
    if sample == "" then sample = thread:get("first_bad") end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"seconds":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"bad_status":%d,"bad_items":%d,"socket_errors":%d,"timeouts":%d,"sample":%s}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, status, item_errors,
    errors.connect + errors.read + errors.write, errors.timeout, json_string(sample)))
end
