-- ptvsd-dap for nvim-dap: registers the `ptvsd-dap` debug adapter and ready-made attach
-- configurations for Python programs that run the legacy ptvsd debug server (ptvsd 2.2-3.2),
-- on any host or on Azure App Service.
--
--   require('ptvsd-dap').setup({})          -- see README.md beside this plugin for the options
--
-- Configurations use the adapter's attach arguments (url, or host/port/transport/path/secret;
-- pathMappings or localRoot/remoteRoot; redirectOutput), plus one of this plugin's own:
--   site = 'myapp'   -- Azure App Service: attaches to wss://myapp.azurewebsites.net/ptvsd with
--                       `secret` (asked for, without echo, if missing); also a host name or
--                       `secret@myapp`
--   instance = '2'   -- with `site` or a ws(s) url: one instance of a scaled-out site, by the number
--                       or ARRAffinity value `ptvsd-dap probe --instances` prints (passed as is)
-- `enrich_config` asks for what a configuration lacks: the URL when nothing names the debuggee,
-- the secret when `site` is given without one.
local M = {}

---@class ptvsd_dap.Options
---@field command? string the adapter executable: a full path (`~` is the home directory), or a
---                      name looked up on PATH (default `ptvsd-dap`; `ptvsd-dap.exe` on Windows)
---@field args? string[] extra arguments for the adapter
---@field log_file? string the adapter's log file (`--log-file`); never holds the secret
---@field log_level? string the adapter's log level (`--log-level`: error, warn, info, debug, trace)
---@field adapter? string the name of the adapter in `dap.adapters` (default `ptvsd`)
---@field filetypes? string[] where the ready-made configurations go (default `{ 'python' }`)
---@field configurations? boolean add the ready-made configurations (default true)
---@field remote_root? string the App Service configuration's remote root (default D:\home\site\wwwroot)
---@field local_root? string|fun():string the local root of path mappings (default: Neovim's cwd)
---@field adapter_options? table nvim-dap adapter options (timeouts), merged over the defaults

---@type ptvsd_dap.Options
M.defaults = {
  command = 'ptvsd-dap',
  args = {},
  log_file = nil,
  log_level = nil,
  adapter = 'ptvsd',
  filetypes = { 'python' },
  configurations = true,
  remote_root = [[D:\home\site\wwwroot]],
  local_root = nil,
  adapter_options = {
    -- The adapter detaches from ptvsd before it answers `disconnect` (so the program keeps
    -- running); over a slow App Service link that takes longer than nvim-dap's default 3 s.
    disconnect_timeout_sec = 10,
  },
}

--- The options in force after `setup()`.
---@type ptvsd_dap.Options
M.options = vim.deepcopy(M.defaults)

-- The configurations added by `setup()` (by identity), so a second `setup()` replaces them.
local ready_made = setmetatable({}, { __mode = 'k' })

local function notify(msg, level)
  vim.notify('ptvsd-dap: ' .. msg, level or vim.log.levels.INFO, { title = 'ptvsd-dap' })
end

local function local_root()
  local root = M.options.local_root
  if type(root) == 'function' then
    root = root()
  end
  return root or vim.fn.getcwd()
end

local function blank(value)
  return value == nil or (type(value) == 'string' and vim.trim(value) == '')
end

--- A value for an nvim-dap configuration field that asks the user when the configuration is
--- used (an nvim-dap async option: a function returning a coroutine). An empty answer or a
--- cancelled prompt aborts the run.
---@param prompt string
---@param opts? { default?: string }
---@return fun(): thread
function M.prompt(prompt, opts)
  opts = opts or {}
  return function()
    return coroutine.create(function(dap_run_co)
      vim.ui.input({ prompt = prompt, default = opts.default }, function(answer)
        if blank(answer) then
          coroutine.resume(dap_run_co, require('dap').ABORT)
        else
          coroutine.resume(dap_run_co, vim.trim(answer))
        end
      end)
    end)
  end
end

--- Asks a secret without echoing it (`inputsecret()`); calls `on_answer` with the text or nil.
local function ask_secret(prompt, on_answer)
  vim.schedule(function()
    local ok, answer = pcall(vim.fn.inputsecret, prompt)
    on_answer(ok and answer or nil)
  end)
end

local function ask_url(on_answer)
  vim.ui.input({ prompt = 'ptvsd URL (tcp://secret@host:5678, wss://secret@site.azurewebsites.net/ptvsd): ' }, on_answer)
end

--- The WebSocket URL of an App Service site: `myapp` becomes wss://myapp.azurewebsites.net/ptvsd;
--- a host name (with a dot) is kept, so is a full URL; `secret@myapp` keeps the secret in the URL.
---@param site string
---@return string
function M.app_service_url(site)
  site = vim.trim(site)
  if site:find('://', 1, true) then
    return site
  end
  local userinfo, rest = site:match('^(.*@)([^@]*)$')
  rest = rest or site
  local host, path = rest:match('^([^/]+)(/.*)$')
  host = host or rest
  if not host:find('.', 1, true) then
    host = host .. '.azurewebsites.net'
  end
  return 'wss://' .. (userinfo or '') .. host .. (path or '/ptvsd')
end

--- The adapter executable `command` names: a path (with `/` or `\`; a leading `~` is the home
--- directory) that must be an executable file, or a name looked up on PATH (PATHEXT on Windows).
--- Returns the path, or nil and a message that says how to fix it.
---@param command string
---@return string|nil path
---@return string|nil problem
function M.find_adapter(command)
  local example = vim.fn.has('win32') == 1 and [[C:\Tools\ptvsd-dap.exe]] or '/usr/local/bin/ptvsd-dap'
  local fix = ("give its full path: require('ptvsd-dap').setup({ command = [[%s]] })"):format(example)
  if blank(command) then
    return nil, 'no adapter command is set; ' .. fix
  end
  if command:find('[/\\]') then
    local path = vim.fn.expand(command)
    if vim.fn.executable(path) == 1 and vim.fn.isdirectory(path) == 0 then
      return path
    end
    return nil, ("the adapter command '%s' is not an executable file; install ptvsd-dap there or %s"):format(path, fix)
  end
  local found = vim.fn.exepath(command)
  if found ~= '' then
    return found
  end
  return nil, ("cannot find the adapter '%s' on PATH; put ptvsd-dap on PATH (cargo install --path . in its repository) or %s"):format(command, fix)
end

--- Completes a configuration before the adapter starts (nvim-dap's `enrich_config`): turns
--- `site` into `url`, fills each path mapping's missing `localRoot` with the local root, asks
--- for the URL or the secret when missing. Calls `on_config` with a new table, or notifies and
--- does not call it when the user cancels or the adapter executable cannot be found.
---@param config table
---@param on_config fun(config: table)
function M.enrich_config(config, on_config)
  local _, problem = M.find_adapter(M.options.command)
  if problem then
    return notify(problem, vim.log.levels.ERROR)
  end
  local final = vim.deepcopy(config)

  if type(final.pathMappings) == 'table' then
    for _, mapping in ipairs(final.pathMappings) do
      if type(mapping) == 'table' and blank(mapping.localRoot) then
        mapping.localRoot = local_root()
      end
    end
  end
  if not blank(final.remoteRoot) and blank(final.localRoot) and final.pathMappings == nil then
    final.localRoot = local_root()
  end

  local function finish()
    on_config(final)
  end

  local function with_secret()
    if not blank(final.secret) or (type(final.url) == 'string' and final.url:match('^%a+://[^/]*@')) then
      return finish()
    end
    ask_secret('ptvsd secret for ' .. final.url .. ': ', function(secret)
      if blank(secret) then
        return notify('no secret given: not attaching', vim.log.levels.WARN)
      end
      final.secret = secret
      finish()
    end)
  end

  if not blank(final.site) then
    if not blank(final.url) or not blank(final.host) then
      return notify("give either 'site' or 'url'/'host', not both", vim.log.levels.ERROR)
    end
    final.url = M.app_service_url(final.site)
    final.site = nil
    return with_secret()
  end
  final.site = nil
  if blank(final.url) and blank(final.host) then
    return ask_url(function(url)
      if blank(url) then
        return notify('no URL given: not attaching', vim.log.levels.WARN)
      end
      final.url = vim.trim(url)
      finish()
    end)
  end
  finish()
end

--- The ready-made configurations (each asks for what it needs when used).
---@return table[]
function M.configurations()
  local adapter = M.options.adapter
  local configs = {
    {
      type = adapter,
      request = 'attach',
      name = 'ptvsd: attach to Azure App Service',
      site = M.prompt('App Service site (name or host): '),
      -- secret: asked without echo by enrich_config
      pathMappings = { { localRoot = function() return local_root() end, remoteRoot = M.options.remote_root } },
    },
    {
      type = adapter,
      request = 'attach',
      name = 'ptvsd: attach to one instance of a scaled-out App Service',
      site = M.prompt('App Service site (name or host): '),
      instance = M.prompt('Instance (its number or ARRAffinity value, from `ptvsd-dap probe --site <site> --instances`): '),
      -- secret: asked without echo by enrich_config
      pathMappings = { { localRoot = function() return local_root() end, remoteRoot = M.options.remote_root } },
    },
    {
      type = adapter,
      request = 'attach',
      name = 'ptvsd: attach to URL',
      url = M.prompt('ptvsd URL (tcp://secret@host:5678 or ws(s)://secret@host/ptvsd): '),
    },
  }
  for _, config in ipairs(configs) do
    ready_made[config] = true
  end
  return configs
end

--- The adapter table registered in `dap.adapters`.
---@return table
function M.adapter()
  local args = vim.deepcopy(M.options.args or {})
  if M.options.log_file then
    vim.list_extend(args, { '--log-file', M.options.log_file })
  end
  if M.options.log_level then
    vim.list_extend(args, { '--log-level', M.options.log_level })
  end
  return {
    type = 'executable',
    command = M.options.command,
    args = args,
    options = vim.deepcopy(M.options.adapter_options or {}),
    enrich_config = M.enrich_config,
  }
end

--- Registers the adapter in `dap.adapters` and (unless `configurations = false`) appends the
--- ready-made configurations to `dap.configurations.<filetype>`, replacing those of an earlier
--- `setup()`.
---@param opts? ptvsd_dap.Options
function M.setup(opts)
  opts = opts or {}
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  if opts.args then
    M.options.args = vim.deepcopy(opts.args)
  end
  if opts.filetypes then
    M.options.filetypes = vim.deepcopy(opts.filetypes)
  end
  local ok, dap = pcall(require, 'dap')
  if not ok then
    notify('nvim-dap is not installed (require("dap") failed): ' .. tostring(dap), vim.log.levels.ERROR)
    return M
  end
  dap.adapters[M.options.adapter] = M.adapter()

  for _, filetype in ipairs(M.options.filetypes) do
    local list = dap.configurations[filetype] or {}
    local kept = {}
    for _, config in ipairs(list) do
      if not ready_made[config] then
        table.insert(kept, config)
      end
    end
    if M.options.configurations then
      for _, config in ipairs(M.configurations()) do
        table.insert(kept, config)
      end
    end
    dap.configurations[filetype] = kept
  end
  return M
end

return M
