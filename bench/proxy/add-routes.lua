-- wrk script (run with -t1): the connections POST new routes (/user/<PREFIX><n>, PREFIX defaults to bench-w) until
-- ROUTES of them answered 201
-- (a few more may be in flight then),
-- then prints the wall time since the first request was sent. wrk's own clock runs for -d regardless,
-- so run.ts stops wrk as soon as this line appears.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clk_id, timespec_t *tp);
]]
local ts = ffi.new("timespec_t")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local limit = tonumber(os.getenv("ROUTES") or "10000")
local token = os.getenv("TOKEN") or ""
local backend = os.getenv("BACKEND") or "http://127.0.0.1:1"
local prefix = os.getenv("PREFIX") or "bench-w"
local sent, done, started, failed, other = 0, 0, nil, 0, ""


request = function()
  if started == nil then started = now() end
  if done >= limit then
    -- Past the goal (wrk is about to be stopped): read a route instead of adding more.
    return wrk.format("GET", "/api/routes/user/" .. prefix .. sent, { ["Authorization"] = "token " .. token })
  end
  sent = sent + 1
  local name = prefix .. sent
  local body = '{"user":"' .. name .. '","server_name":"","target":"' .. backend .. '","jupyterhub":true}'
  return wrk.format("POST", "/api/routes/user/" .. name, {
    ["Authorization"] = "token " .. token, ["Content-Type"] = "application/json",
  }, body)
end

-- Only 201s count (wrk may call request() once before sending anything, so a route name can be skipped).
response = function(status, headers, body)
  if status == 201 then done = done + 1 elseif done < limit then failed = failed + 1; other = other .. " " .. status end
  if done == limit then
    io.write(string.format("ROUTES_DONE %d %.6f %d%s\n", done, now() - started, failed, other))
    io.flush()
  end
end
