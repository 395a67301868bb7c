-- http: a web server (Apache 2.4) and a client (curl) on one switch.
-- The page served is the lab's own index.html (copied by node files).
lab { name = "http" }

local s1 = switch("s1")
local server = node("server", { files = "server", startup = "server.startup", mem = 96 })
local client = node("client")
link(server, s1, "10.0.0.80/24")
link(client, s1, "10.0.0.2/24")

start()

local log = server:exec("cat /var/log/startup.log").stdout
check("server's startup file ran", server:startup_status() == 0, log)

local st = ""
local ok = wait_until(function()
  st = server:exec("ss -ltn 'sport = :80'").stdout
  return st:find("LISTEN", 1, true)
end, 60)
check("apache2 listens on port 80", ok, st .. log)

local page = server:get("/var/www/html/index.html")
check("the lab's index.html is on the server", page:find("Hello from the umlab http lab", 1, true) ~= nil, page)

local r
ok = wait_until(function()
  r = client:exec("curl -sS -m 5 -o /tmp/page.html -w '%{http_code}' http://10.0.0.80/", { timeout = 15 })
  return r.ok and r.stdout == "200"
end, 60)
check("curl http://10.0.0.80/ gets HTTP status 200", ok, (r.stdout or "") .. (r.stderr or ""))

local got = client:exec("cat /tmp/page.html").stdout
expect_eq("the page curl got is the lab's index.html", page, got)

r = client:exec("curl -s -m 5 -o /dev/null -w '%{http_code}' http://10.0.0.80/nothing-here", { timeout = 15 })
expect_eq("a missing page gives 404", "404", r.stdout)

r = client:exec("curl -sI -m 5 http://10.0.0.80/", { timeout = 15 })
expect_match("the server says it is Apache", "Server: Apache", r.stdout)

local acc = server:exec("cat /var/log/apache2/access.log").stdout
check("apache logged the client's request", acc:find("10.0.0.2 ", 1, true) ~= nil, acc)
