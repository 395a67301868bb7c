-- A syntax error on line 3: `umlab run` must exit 2 and name the line.
local a = node("a")
local b = = 3
