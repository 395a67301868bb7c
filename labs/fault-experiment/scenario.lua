-- fault-experiment: a client downloads a file from a web server ten times
-- while one fault (chosen with -D fault=...) strikes at a random moment
-- drawn from the run's seed.  The run classifies itself: passed, degraded
-- (some downloads failed), unavailable (all failed), silent_corruption (a
-- download arrived with the wrong content and nobody noticed), or
-- node_crashed.  Run it as a campaign to see the distribution:
--   umlab campaign --runs 5 -D fault=none,loss,delay,freeze,crash,memflip labs/fault-experiment
lab { name = "fault-experiment" }

local kind = param("fault", "none")
local s = switch("s")
local server, client = node("server"), node("client")
local srv_link = link(server, s, "10.10.0.1/24")
link(client, s, "10.10.0.2/24")
start()

-- The service: a static web server with a random file and its checksum.
server:sh("mkdir -p /srv/www && head -c 8000000 /dev/urandom > /srv/www/blob && "
	.. "sha256sum /srv/www/blob | cut -d' ' -f1 > /srv/www/blob.sha")
server:exec("sh -c 'cd /srv/www && exec python3 -m http.server 80 >/dev/null 2>&1 &'")
local want
check("the service is up", wait_until(function()
	local r = client:exec("curl -sf -m 2 http://10.10.0.1/blob.sha")
	want = r.stdout
	return r.ok and #want > 0
end, 30, 0.2))

-- One fault, at a moment drawn from the seed (math.random is seeded).
local at = math.random() * 1.5
if kind == "loss" then
	fault("loss", srv_link, { loss = 0.4, at = at, duration = 4 })
elseif kind == "delay" then
	fault("delay", srv_link, { delay = 0.8, at = at, duration = 4 })
elseif kind == "freeze" then
	fault("freeze", "server", { at = at, duration = 5 })
elseif kind == "crash" then
	fault("crash", "server", { at = at })
elseif kind == "memflip" then
	-- Bits of the server's RAM (its page cache holds the 8 MB file), sixty times.
	fault("memflip", "server", { region = "ram", at = at, every = 0.02, count = 60 })
elseif kind ~= "none" then
	error("unknown fault '" .. kind .. "' (none, loss, delay, freeze, crash, memflip)")
end

-- The workload: ten downloads, each checked against the checksum.
local intact, wrong, failed = 0, 0, 0
for i = 1, 10 do
	local r = client:exec({ "bash", "-c", "set -o pipefail; curl -sf -m 3 http://10.10.0.1/blob | "
		.. "sha256sum | cut -d' ' -f1" }, { timeout = 10 })
	if not r.ok then
		failed = failed + 1
	elseif r.stdout == want then
		intact = intact + 1
	else
		wrong = wrong + 1
	end
end
print(string.format("fault %s at %.2f s: %d intact, %d wrong, %d failed", kind, at, intact, wrong, failed))
if server.state == "crashed" then
	outcome("node_crashed")
elseif wrong > 0 then
	outcome("silent_corruption")
elseif failed == 10 then
	outcome("unavailable")
elseif failed > 0 then
	outcome("degraded")
end
check("every download arrived intact", intact == 10,
	string.format("%d intact, %d wrong, %d failed", intact, wrong, failed))
