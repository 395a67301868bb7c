-- Disk faults: a node's data disk (/dev/ubdb) through device-mapper as
-- /dev/mapper/data returns real I/O errors while a fault is armed.
local a = node("a", { data_disk = "64M" })
start()
local function dd_write(seek) return a:exec("dd if=/dev/zero of=/dev/mapper/data bs=512 count=1 seek=" .. seek .. " oflag=direct") end
local function dd_read(skip) return a:exec("dd if=/dev/mapper/data of=/dev/null bs=512 count=1 skip=" .. skip .. " iflag=direct") end
local function logged(phase)
	local n = 0
	for _, e in ipairs(fault_log()) do if e.kind == "disk" and e.phase == phase then n = n + 1 end end
	return n
end

-- both: reads and writes of sectors 100-200 fail, the rest works
fault("disk", "a", { mode = "both", sectors = "100-200", duration = 3 })
check("armed", wait_until(function() return logged("inject") == 1 end, 10, 0.1))
local w = dd_write(150)
check("a write in the range fails with Input/output error", not w.ok and w.stderr:find("Input/output error"), w.stderr)
local r = dd_read(150)
check("a read in the range fails", not r.ok and r.stderr:find("Input/output error"), r.stderr)
check("outside the range works", dd_write(300).ok and dd_read(50).ok)
-- through the page cache the kernel logs the failed read
a:exec("dd if=/dev/mapper/data of=/dev/null bs=4096 count=1 skip=20")
local k = a:exec("dmesg | tail -20").stdout
check("the guest kernel logged the error", k:find("I/O error on dev dm%-0") ~= nil, k)
check("cleared after the duration", wait_until(function() return logged("clear") == 1 end, 10, 0.1))
check("the write works after the clear", dd_write(150).ok)

-- write: writes fail, reads pass
fault("disk", "a", { mode = "write", sectors = "0-1000", duration = 30 })
check("write fault armed", wait_until(function() return logged("inject") == 2 end, 10, 0.1))
check("writes fail", not dd_write(10).ok)
check("reads pass", dd_read(10).ok)

-- read: reads of bad sectors fail (dm-dust), writes pass
fault("disk", "a", { mode = "read", sectors = "2000-2007", duration = 30 })
check("read fault armed", wait_until(function() return logged("inject") == 3 end, 10, 0.1))
local rr = dd_read(2003)
check("a read of a bad sector fails", not rr.ok and rr.stderr:find("Input/output error"), rr.stderr)
check("a read elsewhere passes", dd_read(3000).ok)
