-- One full nvim-dap session against a real ptvsd debuggee, driven the way a user would:
-- `dap.toggle_breakpoint`, `dap.continue` (picking a configuration, answering its prompt),
-- the stop, frames and variables read from nvim-dap's session objects, a step, an evaluate,
-- `dap.disconnect`; then the debuggee must go on (`done hit`) and the adapter must exit.
--
-- Run by test.sh as `nvim --clean --headless -l session_test.lua`, with the debuggee (and the
-- relay) already started. Everything comes from the environment:
--   PTVSD_TEST_DAP       nvim-dap's folder          PTVSD_TEST_PLUGIN   editor-integrations/nvim
--   PTVSD_DAP_BIN        the adapter binary         PTVSD_TEST_LOG      the adapter's log file
--   PTVSD_TEST_MODE      `ws` (ready-made "attach to URL" config, URL answered at its prompt)
--                        or `tcp` (a user config with host/port/secret and a path mapping)
--   PTVSD_TEST_URL       the URL to answer (ws)     PTVSD_TEST_PORT/SECRET   ptvsd's (tcp)
--   PTVSD_TEST_LISTEN    `pid:port` pairs (space separated) that must be listening first
--   PTVSD_TEST_SOURCE    app.py as the editor opens it (tcp: a copy in Neovim's cwd, mapped by
--                        ${workspaceFolder} -> PTVSD_TEST_REMOTE_ROOT, where the debuggee runs it)
--   PTVSD_TEST_STDIN     FIFO that is the debuggee's stdin
--   PTVSD_TEST_STDOUT    file that receives the debuggee's stdout
--   PTVSD_TEST_ADAPTER_PIDFILE  where the adapter's pid is written (for the driver's cleanup)
--   PTVSD_TEST_LOG_LEVEL the adapter's log level (default debug)
-- Exits 0 when every check passed, 1 (with the reason and diagnostics on stderr) otherwise.

local uv = vim.uv or vim.loop
local env = function(name, required)
  local value = os.getenv(name)
  if required ~= false and (value == nil or value == '') then
    io.stderr:write('session_test.lua: the environment variable ' .. name .. ' is not set\n')
    os.exit(2)
  end
  return value
end

local BIN = env('PTVSD_DAP_BIN')
local MODE = env('PTVSD_TEST_MODE')
local SOURCE = env('PTVSD_TEST_SOURCE')
local LOG = env('PTVSD_TEST_LOG')
local STDIN = env('PTVSD_TEST_STDIN')
local STDOUT = env('PTVSD_TEST_STDOUT')
local START = uv.hrtime()

local notifications = {}
local outputs = {}
local stops = {}
local adapter = {}

local function elapsed()
  return string.format('%6.2fs', (uv.hrtime() - START) / 1e9)
end

local function say(msg)
  io.stdout:write(elapsed() .. ' ' .. msg .. '\n')
  io.stdout:flush()
end

local function read_file(path)
  local f = io.open(path, 'rb')
  if not f then
    return ''
  end
  local text = f:read('*a') or ''
  f:close()
  return text
end

local function tail(text, n)
  n = n or 3000
  return #text > n and ('...' .. text:sub(-n)) or text
end

local function fail(msg)
  local lines = {
    'FAIL: ' .. msg,
    '--- notifications ---',
  }
  for _, n in ipairs(notifications) do
    table.insert(lines, string.format('[%s] %s', n.level, n.msg))
  end
  table.insert(lines, '--- output events ---')
  table.insert(lines, tail(table.concat(outputs)))
  table.insert(lines, string.format('--- adapter: pid %s, exit code %s, signal %s ---',
    tostring(adapter.pid), tostring(adapter.code), tostring(adapter.signal)))
  table.insert(lines, '--- adapter log (tail) ---')
  table.insert(lines, tail(read_file(LOG)))
  table.insert(lines, '--- debuggee stdout (tail) ---')
  table.insert(lines, tail(read_file(STDOUT)))
  local dap_log = vim.fn.stdpath('log') .. '/dap.log'
  table.insert(lines, '--- nvim-dap log (tail: ' .. dap_log .. ') ---')
  table.insert(lines, tail(read_file(dap_log), 4000))
  io.stderr:write(table.concat(lines, '\n') .. '\n')
  io.stderr:flush()
  os.exit(1)
end

local function check(cond, msg, ...)
  if not cond then
    fail(string.format(msg, ...))
  end
end

--- Waits (polling, with a deadline) until `pred()` returns a truthy value, and returns it.
local function wait_for(what, seconds, pred)
  local result
  local ok = vim.wait(seconds * 1000, function()
    result = pred()
    return result ~= nil and result ~= false
  end, 20)
  if not ok then
    fail(string.format('timed out after %ds waiting for %s', seconds, what))
  end
  return result
end

--- Sends a request on the session and waits for its answer.
local function request(session, command, args, seconds)
  local done, err, resp = false, nil, nil
  session:request(command, args, function(e, r)
    done, err, resp = true, e, r
  end)
  wait_for('the response to ' .. command, seconds or 20, function() return done end)
  return err, resp
end

local function marker_line(path, marker)
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    if line:find('# ' .. marker, 1, true) then
      return n
    end
  end
  fail('no marker ' .. marker .. ' in ' .. path)
end

-- Is `pid` listening on `port`? Read from /proc (never by connecting: that wedges ptvsd).
local function listening(pid, port)
  local inodes = {}
  for _, file in ipairs({ '/proc/net/tcp', '/proc/net/tcp6' }) do
    local f = io.open(file, 'r')
    if f then
      f:read('*l')
      for line in f:lines() do
        local fields = vim.split(vim.trim(line), '%s+')
        local local_port = tonumber((fields[2] or ''):match(':(%x+)$') or '', 16)
        if local_port == port and fields[4] == '0A' then
          inodes['socket:[' .. fields[10] .. ']'] = true
        end
      end
      f:close()
    end
  end
  if next(inodes) == nil then
    return false
  end
  local fd_dir = '/proc/' .. pid .. '/fd'
  for _, fd in ipairs(vim.fn.readdir(fd_dir)) do
    local target = uv.fs_readlink(fd_dir .. '/' .. fd)
    if target and inodes[target] then
      return true
    end
  end
  return false
end

-- Running (not gone, not a zombie waiting to be reaped).
local function alive(pid)
  local stat = read_file('/proc/' .. pid .. '/stat')
  local state = stat:match('^%d+ %b() (%a)')
  return state ~= nil and state ~= 'Z' and state ~= 'X'
end

-- The processes below `pid` (the adapter may run helper processes of its own).
local function descendants(pid)
  local parent_of = {}
  for _, entry in ipairs(vim.fn.readdir('/proc')) do
    if entry:match('^%d+$') then
      local ppid = read_file('/proc/' .. entry .. '/stat'):match('^%d+ %b() %a (%d+)')
      if ppid then
        parent_of[tonumber(entry)] = tonumber(ppid)
      end
    end
  end
  local found, frontier = {}, { [pid] = true }
  while next(frontier) do
    local next_frontier = {}
    for child, parent in pairs(parent_of) do
      if frontier[parent] and not found[child] then
        found[child] = true
        next_frontier[child] = true
      end
    end
    frontier = next_frontier
  end
  return vim.tbl_keys(found)
end

local function send_line(line)
  local f = assert(io.open(STDIN, 'w'))
  f:write(line .. '\n')
  f:close()
end

---------------------------------------------------------------------------------------------
-- Instrumentation: record the adapter's pid and how it exits (code and signal), which nvim-dap
-- itself only logs. nvim-dap calls `uv.spawn` through the shared `vim.uv` table.
local real_spawn = uv.spawn
uv.spawn = function(cmd, opts, on_exit)
  if cmd ~= BIN then
    return real_spawn(cmd, opts, on_exit)
  end
  local handle, pid = real_spawn(cmd, opts, function(code, signal)
    adapter.code, adapter.signal, adapter.exited_at = code, signal, uv.hrtime()
    if on_exit then
      on_exit(code, signal)
    end
  end)
  adapter.pid = pid
  say("adapter spawned, pid " .. tostring(pid))
  local pidfile = os.getenv('PTVSD_TEST_ADAPTER_PIDFILE')
  if pidfile and type(pid) == 'number' then
    local f = io.open(pidfile, 'w')
    if f then
      f:write(tostring(pid))
      f:close()
    end
  end
  return handle, pid
end

-- No remote-plugin providers: their detection (running python3 and friends) costs seconds.
vim.g.loaded_python3_provider = 0
vim.g.loaded_ruby_provider = 0
vim.g.loaded_perl_provider = 0
vim.g.loaded_node_provider = 0

vim.notify = function(msg, level)
  local name = ({ [0] = 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR' })[level or 2] or tostring(level)
  table.insert(notifications, { msg = tostring(msg), level = name, raw = level or 2 })
  say('notify [' .. name .. '] ' .. tostring(msg))
end

vim.opt.runtimepath:prepend(env('PTVSD_TEST_DAP'))
vim.opt.runtimepath:prepend(env('PTVSD_TEST_PLUGIN'))
vim.cmd('filetype on')

local dap = require('dap')
dap.set_log_level('DEBUG')
local plugin = require('ptvsd-dap')

---------------------------------------------------------------------------------------------
-- setup(): the adapter and the ready-made configurations, replaced (not doubled) on a second call.
plugin.setup({ command = 'not-this-one' })
plugin.setup({ command = BIN, log_file = LOG, log_level = os.getenv('PTVSD_TEST_LOG_LEVEL') or 'debug' })
check(dap.adapters.ptvsd and dap.adapters.ptvsd.type == 'executable', 'dap.adapters.ptvsd is not an executable adapter')
check(dap.adapters.ptvsd.command == BIN, 'the adapter command is %s', tostring(dap.adapters.ptvsd.command))
check(type(dap.adapters.ptvsd.enrich_config) == 'function', 'the adapter has no enrich_config')
local names = vim.tbl_map(function(c) return c.name end, dap.configurations.python or {})
check(vim.deep_equal(names, { 'ptvsd: attach to Azure App Service',
  'ptvsd: attach to one instance of a scaled-out App Service', 'ptvsd: attach to URL' }),
  'dap.configurations.python is %s', vim.inspect(names))

-- The App Service configuration, through nvim-dap's own expansion of its values (which asks for
-- the site) and the adapter's enrich_config (which asks for the secret without echo). No network.
do
  local prompts, secret_prompts = {}, {}
  local answers = { 'myapp' }
  local real_input, real_inputsecret = vim.ui.input, vim.fn.inputsecret
  vim.ui.input = function(opts, on_confirm)
    table.insert(prompts, opts.prompt)
    on_confirm(table.remove(answers, 1))
  end
  vim.fn.inputsecret = function(prompt)
    table.insert(secret_prompts, prompt)
    return 'app-secret'
  end
  local enriched
  local cwd = vim.fn.getcwd()
  require('dap.async').run(function()
    local config = dap.listeners.on_config['dap.expand_variable'](dap.configurations.python[1])
    dap.adapters.ptvsd.enrich_config(config, function(final) enriched = final end)
  end)
  wait_for('the App Service configuration to be completed', 5, function() return enriched end)
  vim.ui.input, vim.fn.inputsecret = real_input, real_inputsecret
  check(#prompts == 1 and prompts[1]:find('site', 1, true), 'App Service prompts: %s', vim.inspect(prompts))
  check(#secret_prompts == 1, 'the secret was asked %d times', #secret_prompts)
  check(enriched.url == 'wss://myapp.azurewebsites.net/ptvsd', 'App Service url: %s', tostring(enriched.url))
  check(enriched.secret == 'app-secret', 'App Service secret not set')
  check(enriched.site == nil, 'site is still in the configuration')
  check(vim.deep_equal(enriched.pathMappings, { { localRoot = cwd, remoteRoot = [[D:\home\site\wwwroot]] } }),
    'App Service pathMappings: %s', vim.inspect(enriched.pathMappings))
  check(plugin.app_service_url('s3@myapp') == 'wss://s3@myapp.azurewebsites.net/ptvsd', 'app_service_url with a secret')
  check(plugin.app_service_url('a.b@myapp') == 'wss://a.b@myapp.azurewebsites.net/ptvsd', 'app_service_url with a dotted secret')
  check(plugin.app_service_url('myapp.example.net') == 'wss://myapp.example.net/ptvsd', 'app_service_url with a host')

  -- A configuration naming no debuggee: enrich_config asks for the URL; a flat remoteRoot gets
  -- the local root.
  local asked_url
  vim.ui.input = function(opts, on_confirm)
    asked_url = opts.prompt
    on_confirm(' tcp://s@h:1 ')
  end
  enriched = nil
  dap.adapters.ptvsd.enrich_config({ type = 'ptvsd', request = 'attach', name = 'bare', remoteRoot = '/srv/app' },
    function(final) enriched = final end)
  wait_for('the bare configuration to be completed', 5, function() return enriched end)
  vim.ui.input = real_input
  check(asked_url and enriched.url == 'tcp://s@h:1', 'bare configuration: asked %s, url %s', tostring(asked_url), tostring(enriched.url))
  check(enriched.localRoot == cwd and enriched.remoteRoot == '/srv/app', 'flat roots: %s', vim.inspect(enriched))
  say('ok: setup() and the App Service configuration')
end

-- Finding the adapter: the `command` option (a path, or a name on PATH); a missing or
-- non-executable one is named in an error that says the fix, and no session starts.
do
  check(plugin.find_adapter(BIN) == BIN, 'find_adapter(BIN) is %s', tostring(plugin.find_adapter(BIN)))
  local found = plugin.find_adapter('sh')
  check(found and found:match('/sh$'), 'a bare name is looked up on PATH: %s', tostring(found))
  local _, missing = plugin.find_adapter('ptvsd-dap-not-installed')
  check(missing and missing:find("cannot find the adapter 'ptvsd-dap-not-installed' on PATH", 1, true)
    and missing:find('command = ', 1, true), 'missing adapter: %s', tostring(missing))
  local not_executable = SOURCE
  local _, refused = plugin.find_adapter(not_executable)
  check(refused and refused:find(not_executable, 1, true) and refused:find('not an executable file', 1, true),
    'non-executable adapter: %s', tostring(refused))
  local notified, real_notify = {}, vim.notify
  vim.notify = function(msg, level) table.insert(notified, { msg = msg, level = level }) end
  plugin.setup({ command = 'ptvsd-dap-not-installed' })
  local started = false
  dap.adapters.ptvsd.enrich_config({ type = 'ptvsd', request = 'attach', name = 'x', url = 'tcp://s@h:1' },
    function() started = true end)
  vim.notify = real_notify
  plugin.setup({ command = BIN, log_file = LOG, log_level = os.getenv('PTVSD_TEST_LOG_LEVEL') or 'debug' })
  check(not started, 'a session started without an adapter')
  check(#notified == 1 and notified[1].level == vim.log.levels.ERROR and notified[1].msg:find('on PATH', 1, true),
    'the missing adapter was reported as %s', vim.inspect(notified))
  say('ok: the adapter is found from the command option or PATH, with the fix when it is not')
end

---------------------------------------------------------------------------------------------
-- The debuggee (and relay) must listen before we attach.
for pair in (env('PTVSD_TEST_LISTEN')):gmatch('%S+') do
  local pid, port = pair:match('^(%d+):(%d+)$')
  pid, port = tonumber(pid), tonumber(port)
  wait_for(string.format('pid %d to listen on port %d', pid, port), 30, function()
    if not alive(pid) then
      fail(string.format('pid %d exited before it listened on port %d', pid, port))
    end
    return listening(pid, port)
  end)
end
say('ok: debuggee listening')

local config_name
if MODE == 'ws' then
  config_name = 'ptvsd: attach to URL'
else
  -- A user's configuration for a plain TCP host, as in README.md.
  config_name = 'ptvsd: attach (tcp)'
  table.insert(dap.configurations.python, {
    type = 'ptvsd',
    request = 'attach',
    name = config_name,
    host = '127.0.0.1',
    port = tonumber(env('PTVSD_TEST_PORT')),
    secret = env('PTVSD_TEST_SECRET'),
    pathMappings = { { localRoot = '${workspaceFolder}', remoteRoot = env('PTVSD_TEST_REMOTE_ROOT') } },
  })
end

local listeners = { 'event_stopped', 'event_output', 'setBreakpoints', 'configurationDone', 'event_terminated', 'disconnect' }
local events = {}
for _, name in ipairs(listeners) do
  dap.listeners.after[name]['ptvsd-test'] = function(_, err, body)
    if name == 'event_stopped' then
      table.insert(stops, err) -- events get (session, body)
    elseif name == 'event_output' then
      table.insert(outputs, (err or {}).output or '')
    else
      events[name] = { err = err, body = body, at = uv.hrtime() }
    end
  end
end

---------------------------------------------------------------------------------------------
-- Breakpoint, then dap.continue() with no session: pick the configuration, answer its prompt.
vim.cmd.edit(vim.fn.fnameescape(SOURCE))
check(vim.bo.filetype == 'python', 'the buffer has filetype %q', vim.bo.filetype)
local bp_line = marker_line(SOURCE, '@bp_work')
local after_line = marker_line(SOURCE, '@after_work')
vim.api.nvim_win_set_cursor(0, { bp_line, 0 })
dap.toggle_breakpoint()

local picked, asked = nil, {}
vim.ui.select = function(items, opts, on_choice)
  for i, item in ipairs(items) do
    local label = opts.format_item and opts.format_item(item) or tostring(item)
    if label == config_name then
      picked = label
      return on_choice(item, i)
    end
  end
  fail('no configuration named ' .. config_name .. ' offered')
end
vim.ui.input = function(opts, on_confirm)
  table.insert(asked, opts.prompt)
  on_confirm(env('PTVSD_TEST_URL'))
end

say("dap.continue()")
dap.continue()
local session = wait_for('a session', 10, function() return dap.session() end)
check(picked == config_name, 'picked %s', tostring(picked))
if MODE == 'ws' then
  check(#asked == 1 and asked[1]:find('URL', 1, true), 'URL prompts: %s', vim.inspect(asked))
end
wait_for('configurationDone (attach + initialized)', 40, function() return events.configurationDone end)
check(events.configurationDone.err == nil, 'configurationDone failed: %s', vim.inspect(events.configurationDone.err))
check(session.initialized, 'the session is not initialized')
local bps = wait_for('the setBreakpoints response', 20, function() return events.setBreakpoints end)
check(bps.err == nil, 'setBreakpoints failed: %s', vim.inspect(bps.err))
local bp = bps.body and bps.body.breakpoints and bps.body.breakpoints[1]
check(bp and bp.verified and bp.line == bp_line, 'breakpoint: %s', vim.inspect(bps.body))
say(string.format('ok: attached (%s), breakpoint verified on line %d', session.capabilities and 'capabilities received' or '?', bp_line))

-- Program output reaches the debug console (redirectOutput).
send_line('print nvim-output-check')
wait_for('the output event "nvim-output-check"', 20, function()
  return table.concat(outputs):find('nvim-output-check', 1, true)
end)
say('ok: program output arrives as output events')

---------------------------------------------------------------------------------------------
-- The stop.
send_line('hit')
-- Waits for the n-th stop and for nvim-dap to have fetched its frames, scopes and variables
-- (a frame other than `previous`, the one of the stop before).
local function wait_stop(n, what, previous)
  wait_for(what, 30, function() return #stops >= n end)
  local s = dap.session()
  check(s == session, 'the session changed')
  return wait_for(what .. ': frames and variables', 20, function()
    local frame = session.current_frame
    if not (session.stopped_thread_id and frame and frame ~= previous and frame.scopes) then
      return nil
    end
    for _, scope in ipairs(frame.scopes) do
      if not scope.expensive and scope.variables == nil then
        return nil
      end
    end
    return frame
  end)
end

local function locals_of(frame)
  local vars = {}
  for _, scope in ipairs(frame.scopes) do
    for _, v in ipairs(scope.variables or {}) do
      vars[v.name] = vars[v.name] or v
    end
  end
  return vars
end

local frame = wait_stop(1, 'the stop at the breakpoint')
check(stops[1].reason == 'breakpoint', 'stop reason %s', tostring(stops[1].reason))
local thread = session.threads[session.stopped_thread_id]
check(thread and thread.frames and #thread.frames >= 2, 'frames of the stopped thread: %s', vim.inspect(thread and thread.frames))
check(thread.frames[1] == frame, 'the current frame is not the top frame')
check(frame.name == 'work', 'top frame name %s', tostring(frame.name))
check(frame.line == bp_line, 'stopped on line %s, expected %d', tostring(frame.line), bp_line)
check(frame.source and frame.source.path == SOURCE, 'frame source path %s, expected %s',
  tostring(frame.source and frame.source.path), SOURCE)
check(vim.api.nvim_buf_get_name(0) == SOURCE, 'nvim-dap jumped to %s', vim.api.nvim_buf_get_name(0))
check(vim.api.nvim_win_get_cursor(0)[1] == bp_line, 'cursor on line %d', vim.api.nvim_win_get_cursor(0)[1])
local vars = locals_of(frame)
check(vars.count and vars.count.value == '8', 'count = %s', vim.inspect(vars.count))
check(vars.text and vars.text.value:find('hello', 1, true), 'text = %s', vim.inspect(vars.text))
check(vars.n and vars.n.value == '7', 'n = %s', vim.inspect(vars.n))
say(string.format('ok: stopped (breakpoint) in %s at line %d; count = %s', frame.name, frame.line, vars.count.value))

-- Expanding a variable two levels down (round trips to ptvsd).
check(vars.obj and (vars.obj.variablesReference or 0) > 0, 'obj is not expandable: %s', vim.inspect(vars.obj))
local err, resp = request(session, 'variables', { variablesReference = vars.obj.variablesReference })
check(not err, 'variables(obj) failed: %s', vim.inspect(err))
local children = {}
for _, v in ipairs(resp.variables or {}) do
  children[v.name] = v
end
check(children.label and children.label.value:find('outer', 1, true), 'obj.label = %s', vim.inspect(children.label))
check(children.inner and (children.inner.variablesReference or 0) > 0, 'obj.inner = %s', vim.inspect(children.inner))
err, resp = request(session, 'variables', { variablesReference = children.inner.variablesReference })
check(not err, 'variables(obj.inner) failed: %s', vim.inspect(err))
local value
for _, v in ipairs(resp.variables or {}) do
  if v.name == 'value' then
    value = v.value
  end
end
check(value == '42', 'obj.inner.value = %s', tostring(value))
say('ok: expanded obj.inner.value = 42')

-- Evaluate in the stopped frame (repl context, as the REPL does).
local eval_done, eval_err, eval_resp = false, nil, nil
session:evaluate('count * 3', function(e, r) eval_done, eval_err, eval_resp = true, e, r end)
wait_for('the evaluate response', 20, function() return eval_done end)
check(not eval_err, 'evaluate failed: %s', vim.inspect(eval_err))
check(eval_resp and eval_resp.result == '24', 'count * 3 = %s', vim.inspect(eval_resp))
say('ok: evaluate count * 3 = 24')

-- REPL completions: nvim-dap's REPL asks only when the adapter says it can, from the frame.
check(session.capabilities.supportsCompletionsRequest == true, 'completions are not offered: %s', vim.inspect(session.capabilities))
local c_err, c_resp = request(session, 'completions', { frameId = session.current_frame.id, text = 'obj.la', column = 7 })
check(not c_err, 'completions failed: %s', vim.inspect(c_err))
local label
for _, item in ipairs((c_resp or {}).targets or {}) do
  if item.label == 'label' then
    label = item
  end
end
check(label and label.start == 4 and label.length == 2, 'completions of obj.la: %s', vim.inspect(c_resp))
say('ok: completions of obj.la offer label')

---------------------------------------------------------------------------------------------
-- Step over.
dap.step_over()
frame = wait_stop(2, 'the stop after step over', frame)
check(stops[2].reason == 'step', 'step stop reason %s', tostring(stops[2].reason))
check(frame.line == after_line, 'after the step: line %s, expected %d', tostring(frame.line), after_line)
vars = locals_of(frame)
check(vars.total and vars.total.value == '11', 'total = %s', vim.inspect(vars.total))
say(string.format('ok: stepped to line %d; total = %s', frame.line, vars.total.value))

---------------------------------------------------------------------------------------------
-- Disconnect: the adapter detaches, the program goes on, the adapter exits.
check(adapter.pid and alive(adapter.pid), 'the adapter is not running before disconnect')
local helpers = descendants(adapter.pid)
do -- for the driver's cleanup, should the test fail
  local pidfile = os.getenv('PTVSD_TEST_ADAPTER_PIDFILE')
  local f = pidfile and io.open(pidfile, 'a')
  if f then
    for _, pid in ipairs(helpers) do
      f:write('\n' .. pid)
    end
    f:close()
  end
end
check(not read_file(STDOUT):find('done hit', 1, true), 'the debuggee finished "hit" while stopped')
local disconnected, disc_err = false, nil
local disc_sent = uv.hrtime()
dap.disconnect({ terminateDebuggee = false }, function(e) disconnected, disc_err = true, e end)
wait_for('the disconnect response', 15, function() return disconnected end)
check(disc_err == nil, 'disconnect failed: %s', vim.inspect(disc_err))
local disc_ms = (uv.hrtime() - disc_sent) / 1e6
wait_for('the session to close', 10, function() return dap.session() == nil end)
wait_for('"done hit" from the debuggee (it continued after the detach)', 20, function()
  return read_file(STDOUT):find('done hit', 1, true)
end)
wait_for('the adapter process to exit', 15, function() return adapter.code ~= nil end)
local exit_ms = (adapter.exited_at - disc_sent) / 1e6
wait_for('the adapter\'s helper processes ' .. table.concat(helpers, ', ') .. ' to exit', 15, function()
  for _, pid in ipairs(helpers) do
    if alive(pid) then
      return false
    end
  end
  return true
end)
check(adapter.code == 0 and adapter.signal == 0, 'the adapter exited with code %s, signal %s',
  tostring(adapter.code), tostring(adapter.signal))
check(events.event_terminated == nil, 'the adapter sent terminated on a disconnect')
for _, n in ipairs(notifications) do
  check(n.raw < vim.log.levels.WARN, 'nvim-dap or the plugin warned: [%s] %s', n.level, n.msg)
end
say(string.format('ok: disconnected in %d ms; adapter exited (code 0, %d helper process(es) gone) %d ms after the request; the debuggee printed "done hit"',
  disc_ms, #helpers, exit_ms))

-- Diagnostics for the driver: did the adapter see nvim-dap's SIGINT (sent right after the
-- disconnect response)?
local log_text = read_file(LOG)
if log_text:find('signal received', 1, true) then
  say('note: the adapter log mentions a signal after disconnect')
end
say('PASS')
os.exit(0)
