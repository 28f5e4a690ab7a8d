-- wrk_report.lua - one machine-readable line per wrk run (proxies.sh reads it).
-- WRK_BODY=FILE makes the request a POST of that file as application/json.
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
	local f = assert(io.open(body, "rb"))
	wrk.method = "POST"
	wrk.body = f:read("*a")
	f:close()
	wrk.headers["Content-Type"] = "application/json"
end

done = function(summary, latency, requests)
	local e = summary.errors
	-- requests, duration us, latency p50 / p99 us, errors connect read write status timeout
	io.write(string.format("WRKRESULT %d %d %d %d %d %d %d %d %d\n",
		summary.requests, summary.duration,
		latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
