-- wrk script (run with -t1): sends METHOD (GET unless set) to the paths listed in PATHS_FILE (one per line) in turn,
-- with TOKEN as the Authorization, BODY as a JSON body when set, and, when set, ACCEPT and CACHE_CONTROL headers. Prints "NON2XX n" at the end, and the first
-- few other statuses, so the caller can refuse a run in which any request failed.
local paths, n, bad, seen = {}, 0, 0, ""
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local headers = { ["Authorization"] = "token " .. (os.getenv("TOKEN") or "") }
if os.getenv("ACCEPT") and os.getenv("ACCEPT") ~= "" then headers["Accept"] = os.getenv("ACCEPT") end
if os.getenv("CACHE_CONTROL") and os.getenv("CACHE_CONTROL") ~= "" then headers["Cache-Control"] = os.getenv("CACHE_CONTROL") end
local method = (os.getenv("METHOD") ~= nil and os.getenv("METHOD") ~= "") and os.getenv("METHOD") or "GET"
local body = nil
if os.getenv("BODY") and os.getenv("BODY") ~= "" then
  body = os.getenv("BODY")
  headers["Content-Type"] = "application/json"
end

request = function()
  n = n + 1
  return wrk.format(method, paths[(n - 1) % #paths + 1], headers, body)
end

response = function(status, hdrs, body)
  if status < 200 or status >= 300 then
    bad = bad + 1
    if bad <= 5 then seen = seen .. " " .. status end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("NON2XX %d%s\n", bad, seen))
end
