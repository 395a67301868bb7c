-- dns: the DNS hierarchy in miniature, with BIND 9.18.
-- A root server, a TLD server (lab.), an authoritative server
-- (umlab.lab.), a recursive resolver that knows only the root, and a
-- client that asks the resolver for www.umlab.lab.
lab { name = "dns" }

local s1 = switch("s1")
local servers = {
  { "root", "10.0.0.2" }, { "tld", "10.0.0.3" }, { "auth", "10.0.0.4" }, { "resolver", "10.0.0.53" },
}
local n = {}
for _, s in ipairs(servers) do
  n[s[1]] = node(s[1], { files = s[1], startup = "named.startup", mem = 96 })
  link(n[s[1]], s1, s[2] .. "/24")
end
local client = node("client")
link(client, s1, "10.0.0.100/24")

start()

for _, s in ipairs(servers) do
  local nd = n[s[1]]
  local ls = ""
  local ok = nd:startup_status() == 0 and wait_until(function()
    ls = nd:exec("ss -lun").stdout
    return ls:find(s[2] .. ":53 ", 1, true)
  end, 60)
  check(s[1] .. ": named runs and listens on " .. s[2] .. ":53", ok,
        ls .. nd:exec("cat /var/log/startup.log").stdout)
end

local function dig(args) return client:exec("dig +time=3 +tries=2 " .. args, { timeout = 30 }).stdout end

-- Each level answers for itself only.
local d = dig("@10.0.0.2 www.umlab.lab A +norec")
check("the root refers lab. to ns.lab (10.0.0.3)",
      d:find("lab.%s+%d+%s+IN%s+NS%s+ns%.lab%.") and d:find("ns%.lab%.%s+%d+%s+IN%s+A%s+10%.0%.0%.3"), d)
d = dig("@10.0.0.3 www.umlab.lab A +norec")
check("the TLD refers umlab.lab. to ns.umlab.lab (10.0.0.4)",
      d:find("umlab%.lab%.%s+%d+%s+IN%s+NS%s+ns%.umlab%.lab%."), d)
d = dig("@10.0.0.4 www.umlab.lab A +norec")
check("the authoritative server answers www.umlab.lab with the aa flag",
      d:find("flags: qr aa", 1, true) and d:find("www%.umlab%.lab%.%s+%d+%s+IN%s+A%s+10%.0%.0%.80"), d)

-- The resolver walks the tree for the client.
local ans = ""
local ok = wait_until(function()
  ans = dig("@10.0.0.53 www.umlab.lab A +short")
  return ans == "10.0.0.80\n"
end, 60, 1)
check("the resolver resolves www.umlab.lab to 10.0.0.80", ok, dig("@10.0.0.53 www.umlab.lab A"))
d = dig("@10.0.0.53 www.umlab.lab A")
check("the resolver's answer is recursive, not authoritative",
      d:find("flags: qr rd ra", 1, true) ~= nil and not d:find(" aa", 1, true), d)
expect_eq("MX of umlab.lab", "10 mail.umlab.lab.\n", dig("@10.0.0.53 umlab.lab MX +short"))
expect_eq("web.umlab.lab is a CNAME of www", "www.umlab.lab.\n10.0.0.80\n", dig("@10.0.0.53 web.umlab.lab A +short"))
d = dig("@10.0.0.53 nothere.umlab.lab A")
check("a missing name gives NXDOMAIN", d:find("status: NXDOMAIN", 1, true) ~= nil, d)

-- The client's own resolver library, through /etc/resolv.conf.
client:exec("cat > /etc/resolv.conf", { stdin = "nameserver 10.0.0.53\n" })
local r = client:exec("getent hosts www.umlab.lab", { timeout = 20 })
check("getent (the C library) resolves www.umlab.lab through the resolver",
      r.stdout:find("10.0.0.80", 1, true) ~= nil, r.stdout .. r.stderr)

-- dig +trace follows the delegations itself: root, lab., umlab.lab.
d = client:exec("dig +trace +time=3 www.umlab.lab", { timeout = 60 }).stdout
check("dig +trace walks root -> lab. -> umlab.lab.",
      d:find("from 10.0.0.2#53", 1, true) and d:find("from 10.0.0.3#53", 1, true)
      and d:find("from 10.0.0.4#53", 1, true), d)

-- A second question is answered from the resolver's cache: the TTL counts down.
local ttl, line = nil, ""
ok = wait_until(function()
  line = dig("@10.0.0.53 www.umlab.lab A +noall +answer")
  ttl = tonumber(line:match("www%.umlab%.lab%.%s+(%d+)"))
  return ttl and ttl < 300
end, 20, 1)
check("the resolver answers from its cache (TTL below the zone's 300 s)", ok, line)
