-- faultwait: fault() and then wait until the fault log shows it injected
-- (or failed), instead of sleeping a guessed time.  Returns the log entry.
local M = {}

function M.fault(kind, target, opts)
	local seen = #fault_log()
	fault(kind, target, opts)
	return wait_until(function()
		local log = fault_log()
		for i = seen + 1, #log do
			if log[i].phase == "inject" or log[i].phase == "failed" then
				return log[i]
			end
		end
	end, 5, 0.02)
end

return M
