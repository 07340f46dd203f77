-- wrk script: requests the URLs of the file LIST in turn, round and round, gzip accepted.
local urls, i = {}, 0
for line in io.lines(os.getenv("LIST")) do urls[#urls + 1] = line end
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i], { ["Accept-Encoding"] = "gzip" })
end
