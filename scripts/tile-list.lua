-- wrk script: requests the URLs of the file LIST in turn, gzip accepted; with ONCE set, each only
-- once and then stops.
local urls, i, once = {}, 0, os.getenv("ONCE")
for line in io.lines(os.getenv("LIST")) do urls[#urls + 1] = line end
request = function()
  i = i + 1
  if i > #urls then
    if once then wrk.thread:stop() end
    i = 1
  end
  return wrk.format("GET", urls[i], { ["Accept-Encoding"] = "gzip" })
end
