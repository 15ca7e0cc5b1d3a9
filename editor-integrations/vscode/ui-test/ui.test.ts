// The extension in the real VS Code: code-server in headless Chromium, driven like a user,
// attached through the packaged extension and the ptvsd-dap binary to real ptvsd debuggees.
// Run by ui-test/run.sh, which installs code-server and playwright-core and sets the environment.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { after, before, describe, test } from 'node:test';
import { Browser, chromium } from 'playwright-core';
import { adapterBin, Debuggee, LISTEN, markerLine, REPO, Release, Spawned, within } from '../test/harness';
import { CodeServer } from './codeServer';
import { summarizeRecord } from './dapRecord';
import { Workbench } from './workbench';

/** The debuggee; the test's workspaces hold copies of it (the "local" side of the path mapping). */
const FIXTURE = path.join(REPO, 'editor-integrations', 'vscode', 'ui-test', 'fixture');
const APP = path.join(FIXTURE, 'app.py');
const BP_WORK = markerLine(APP, 'bp_work');
const AFTER_WORK = markerLine(APP, 'after_work');
const RAISE_LINE = markerLine(APP, 'raise_line');

const RELEASES: Release[] = ['3.0.0', '3.2.1'];
const TRANSPORTS = ['tcp', 'ws'] as const;
type Transport = (typeof TRANSPORTS)[number];

function env(name: string): string {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set: run editor-integrations/vscode/ui-test/run.sh`);
    }
    return value;
}

const ARTIFACTS = env('PTVSD_DAP_UI_ARTIFACTS');
const WORK = env('PTVSD_DAP_UI_TMP');
const DAP_RECORD = path.join(ARTIFACTS, 'dap-record.jsonl');

let server: CodeServer;
let browser: Browser;

before(async () => {
    fs.writeFileSync(DAP_RECORD, '');
    server = await CodeServer.start({
        installDir: env('PTVSD_DAP_UI_INSTALL'),
        home: path.join(WORK, 'code-server'),
        settings: userSettings(adapterBin()),
        vsixes: [env('PTVSD_DAP_UI_VSIX'), env('PTVSD_DAP_UI_RECORDER_VSIX')],
        env: { ...process.env, PATH: pathWithoutAdapter(), PTVSD_DAP_UI_DAP_RECORD: DAP_RECORD },
    });
    browser = await chromium.launch({ executablePath: env('PTVSD_DAP_UI_CHROMIUM'), headless: true });
});

after(async () => {
    await browser?.close();
    server?.stop();
});

/** The User settings: the adapter where a user would put it, and a quiet workbench. */
function userSettings(adapter: string): Record<string, unknown> {
    return {
        'ptvsd-dap.path': adapter,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.tree.enableStickyScroll': false,
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'remote.autoForwardPorts': false,
        'editor.hover.delay': 200,
        'editor.minimap.enabled': false,
        'editor.stickyScroll.enabled': false,
    };
}

/** PATH without any folder holding a ptvsd-dap: the adapter can only come from the setting. */
function pathWithoutAdapter(): string {
    return (process.env.PATH ?? '')
        .split(':')
        .filter((dir) => dir !== '' && !fs.existsSync(path.join(dir, 'ptvsd-dap')))
        .join(':');
}

/** A test's folder of screenshots and logs, and its log function. */
function artifacts(name: string): { dir: string; log: (line: string) => void; logFile: string } {
    const dir = path.join(ARTIFACTS, name.replace(/[^A-Za-z0-9.]+/g, '-'));
    fs.mkdirSync(dir, { recursive: true });
    const logFile = path.join(dir, 'test.log');
    fs.writeFileSync(logFile, `${name}\n`);
    return { dir, logFile, log: (line) => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`) };
}

interface Configuration {
    name: string;
    url: string;
}

/** A workspace: a copy of the debuggee's files, a launch.json, and the adapter's log in its settings. */
function workspace(name: string, configurations: Configuration[], adapterLog: string): string {
    const folder = path.join(WORK, 'workspaces', name.replace(/[^A-Za-z0-9.]+/g, '-'));
    fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    fs.copyFileSync(APP, path.join(folder, 'app.py'));
    const launch = {
        version: '0.2.0',
        configurations: configurations.map((c) => ({
            type: 'ptvsd-remote',
            request: 'attach',
            name: c.name,
            url: c.url,
            connectTimeout: 5,
            pathMappings: [{ localRoot: '${workspaceFolder}', remoteRoot: FIXTURE }],
        })),
    };
    fs.writeFileSync(path.join(folder, '.vscode', 'launch.json'), JSON.stringify(launch, null, 2));
    const settings = { 'ptvsd-dap.logFile': adapterLog, 'ptvsd-dap.logLevel': 'trace' };
    fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
    return folder;
}

/** `ptvsd-dap relay` in front of the debuggee (the App Service proxy's role); resolves its ws:// port. */
async function startRelay(targetPort: number): Promise<{ proc: Spawned; port: number }> {
    const proc = new Spawned(adapterBin(), ['relay', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${targetPort}`], {}, true);
    await proc.stdout.wait('relay listening on ws://127.0.0.1:', LISTEN, 'ptvsd-dap relay').catch((error: Error) => {
        proc.kill();
        throw new Error(`${error.message}\n${proc.stderr.tail(2000)}`);
    });
    const port = /relay listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(proc.stdout.all());
    if (!port) {
        proc.kill();
        throw new Error(`ptvsd-dap relay did not say its port: ${proc.stdout.tail(500)}`);
    }
    return { proc, port: Number(port[1]) };
}

/** A debuggee of `release`, reached over `transport`; `stop` ends it and its relay. */
async function reach(release: Release, transport: Transport): Promise<{ debuggee: Debuggee; url: string; stop: () => void; describe: () => string }> {
    const debuggee = await Debuggee.start(release, APP);
    if (transport === 'tcp') {
        return {
            debuggee,
            url: `tcp://${debuggee.secret}@127.0.0.1:${debuggee.port}`,
            stop: () => debuggee.stop(),
            describe: () => debuggee.describe(),
        };
    }
    const relay = await startRelay(debuggee.port).catch((error: Error) => {
        debuggee.stop();
        throw error;
    });
    return {
        debuggee,
        url: `ws://${debuggee.secret}@127.0.0.1:${relay.port}/ptvsd`,
        stop: () => {
            relay.proc.kill();
            debuggee.stop();
        },
        describe: () => `${debuggee.describe()}\n--- relay stderr ---\n${relay.proc.stderr.tail(1500)}`,
    };
}

/** Runs `body`; on failure the error carries the debuggee's and code-server's state and the log's path. */
async function withContext(logFile: string, describe: () => string, body: () => Promise<void>): Promise<void> {
    try {
        await body();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${message}\n  log: ${logFile}\n${describe()}\n${server.describe()}`);
    }
}

describe('VS Code (code-server) debugging through the extension', () => {
    for (const release of RELEASES) {
        for (const transport of TRANSPORTS) {
            const name = `ptvsd ${release} over ${transport}`;
            test(name, async () => {
                const { dir, log, logFile } = artifacts(name);
                const target = await reach(release, transport);
                const debuggee = target.debuggee;
                try {
                    const folder = workspace(name, [{ name, url: target.url }], path.join(dir, 'adapter.log'));
                    await withContext(logFile, target.describe, async () => {
                        const wb = await Workbench.open(browser, server.folderUrl(folder), dir, log);
                        try {
                            await debugSession(wb, debuggee, folder, name, release);
                        } finally {
                            await wb.close();
                        }
                    });
                } finally {
                    target.stop();
                    fs.writeFileSync(path.join(dir, 'dap-requests.txt'), summarizeRecord(DAP_RECORD, name));
                }
            });
        }
    }

    // The worst moment to leave: ptvsd holds the raising thread; the detach must release it.
    for (const release of RELEASES) {
        const name = `ptvsd ${release}: Disconnect at an uncaught exception lets the program end`;
        test(name, async () => {
            const { dir, log, logFile } = artifacts(name);
            const target = await reach(release, 'tcp');
            const debuggee = target.debuggee;
            try {
                const folder = workspace(name, [{ name, url: target.url }], path.join(dir, 'adapter.log'));
                await withContext(logFile, target.describe, async () => {
                    const wb = await Workbench.open(browser, server.folderUrl(folder), dir, log);
                    try {
                        await wb.step('attach with Uncaught Exceptions ticked', async () => {
                            await wb.startDebugging(name);
                            await wb.waitToolbar();
                            await wb.checkExceptionFilter('Uncaught Exceptions');
                            await wb.waitConsole('Attached to ptvsd protocol', 'the attach');
                        });
                        await wb.step('an uncaught exception stops the program', async () => {
                            debuggee.send('die');
                            await expectExceptionWidget(wb);
                        });
                        await wb.step('Disconnect: the program ends with its traceback', async () => {
                            await wb.toolbar('disconnect');
                            await wb.waitNoToolbar('the session ended');
                            await within(debuggee.proc.exited, 30_000, `ptvsd ${release} debuggee's end after the disconnect`);
                            const output = debuggee.proc.stdout.all() + debuggee.proc.stderr.all();
                            assert.ok(output.includes('ValueError: bad 7'), `no traceback in the program's output:\n${output}`);
                        });
                    } finally {
                        await wb.close();
                    }
                });
            } finally {
                target.stop();
            }
        });
    }

    test('broken configurations show the adapter\'s message', async () => {
        const name = 'broken configurations';
        const { dir, log, logFile } = artifacts(name);
        const target = await reach('3.2.1', 'tcp');
        try {
            const wrongSecret = target.url.replace(target.debuggee.secret, 'not-the-secret');
            const folder = workspace(
                name,
                [
                    { name: 'wrong secret', url: wrongSecret },
                    // Port 1 (tcpmux) is never served here: nothing listens.
                    { name: 'nothing listening', url: `tcp://s3cret@127.0.0.1:1` },
                    { name: 'the right one', url: target.url },
                ],
                path.join(dir, 'adapter.log'),
            );
            await withContext(logFile, target.describe, async () => {
                const wb = await Workbench.open(browser, server.folderUrl(folder), dir, log);
                try {
                    await wb.step('wrong secret: VS Code shows the adapter\'s error', async () => {
                        await wb.startDebugging('wrong secret');
                        const text = await wb.errorDialog();
                        assert.match(text, /refused the secret/, text);
                        assert.ok(!text.includes(target.debuggee.secret), 'the error shows the secret');
                    });
                    await wb.step('nothing listening: VS Code shows the adapter\'s error', async () => {
                        await wb.closeDialog();
                        await wb.waitNoToolbar('the failed session ended');
                        await wb.startDebugging('nothing listening');
                        const text = await wb.errorDialog();
                        assert.match(text, /connection to 127\.0\.0\.1:1 refused: nothing listens there/, text);
                    });
                    await wb.step('the debuggee still takes an attach after the refused secret', async () => {
                        await wb.closeDialog();
                        await wb.waitNoToolbar('the failed session ended');
                        await wb.startDebugging('the right one');
                        await wb.waitToolbar();
                        await wb.waitConsole('Attached to ptvsd', 'the attach');
                    });
                    await wb.step('disconnect', async () => {
                        await wb.toolbar('disconnect');
                        await wb.waitNoToolbar('the session ended');
                    });
                } finally {
                    await wb.close();
                }
            });
        } finally {
            target.stop();
        }
    });

    test('the adapter path in User settings: a missing adapter says so and Open Settings leads to the fix', async () => {
        const name = 'adapter setting';
        const { dir, log, logFile } = artifacts(name);
        const target = await reach('3.2.1', 'tcp');
        const missing = path.join(WORK, 'no-such-folder', 'ptvsd-dap');
        try {
            const folder = workspace(name, [{ name, url: target.url }], path.join(dir, 'adapter.log'));
            await withContext(logFile, target.describe, async () => {
                const wb = await Workbench.open(browser, server.folderUrl(folder), dir, log);
                try {
                    await wb.step('set ptvsd-dap.path in the User settings to a missing file; close the Settings', async () => {
                        await wb.setUserSetting('ptvsd-dap.path', missing);
                        await waitSettingsFile(server.userSettingsFile, 'ptvsd-dap.path', missing);
                        await wb.closeSettings();
                    });
                    await wb.step('Start Debugging: the message says the adapter is missing, and offers Open Settings', async () => {
                        await wb.startDebugging(name);
                        const text = await wb.notification(/ptvsd-dap\.path/);
                        assert.ok(text.includes(missing), `the message does not name ${missing}: ${text}`);
                        assert.match(text, /not an executable file/, text);
                        // No session started, so VS Code has no dialog of its own to show.
                        assert.equal(await wb.page.locator('.monaco-dialog-box').count(), 0, 'a dialog as well as the message');
                        assert.ok(!(await wb.page.locator('.debug-toolbar').first().isVisible()), 'a session started without an adapter');
                    });
                    await wb.step('Open Settings: the Settings editor opens at the setting; set to the adapter, Start Debugging attaches', async () => {
                        await wb.clickNotificationButton(/ptvsd-dap\.path/, 'Open Settings');
                        await wb.fillShownSetting('ptvsd-dap.path', adapterBin());
                        await waitSettingsFile(server.userSettingsFile, 'ptvsd-dap.path', adapterBin());
                        await wb.startDebugging(name);
                        await wb.waitToolbar();
                        await wb.waitConsole('Attached to ptvsd', 'the attach');
                    });
                    await wb.step('disconnect', async () => {
                        await wb.toolbar('disconnect');
                        await wb.waitNoToolbar('the session ended');
                    });
                } finally {
                    await wb.close();
                }
            });
        } finally {
            fs.writeFileSync(server.userSettingsFile, JSON.stringify(userSettings(adapterBin()), null, 2));
            target.stop();
        }
    });
});

/** Waits until code-server has written the User setting (what the Settings editor did). */
async function waitSettingsFile(file: string, key: string, value: string): Promise<void> {
    const end = Date.now() + 10_000;
    for (;;) {
        try {
            if (JSON.parse(fs.readFileSync(file, 'utf8'))[key] === value) {
                return;
            }
        } catch {
            // being written
        }
        if (Date.now() > end) {
            throw new Error(`${file} does not say ${key} = ${value} within 10 s: ${fs.readFileSync(file, 'utf8')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/** The program stopped at fail()'s uncaught ValueError('bad 7'): the exception widget says so. */
async function expectExceptionWidget(wb: Workbench): Promise<void> {
    const text = await wb.exceptionWidget(RAISE_LINE);
    assert.match(text, /Exception has occurred: ValueError/, text);
    assert.match(text, /bad 7/, text);
}

/** One debugging session as a user has it, every step checked in the workbench's DOM. */
async function debugSession(wb: Workbench, debuggee: Debuggee, folder: string, configuration: string, release: Release): Promise<void> {
    await wb.step('open app.py', () => wb.openFile('app.py'));
    await wb.step('click the gutter: a breakpoint', async () => {
        await wb.clickGutter(BP_WORK);
        await wb.waitGlyph('debug-breakpoint', BP_WORK, 'the breakpoint');
    });
    await wb.step('Start Debugging (F5) in Run and Debug: the debug toolbar', async () => {
        await wb.startDebugging(configuration);
        await wb.waitRow('debug-breakpoints', `app.py ${BP_WORK}`, 'BREAKPOINTS');
        await wb.waitToolbar();
        await wb.waitConsole('Attached to ptvsd protocol', 'the attach message');
    });
    await wb.step('the program hits the breakpoint: the editor shows the stopped line', async () => {
        debuggee.send('hit');
        await wb.waitStoppedAt(BP_WORK);
    });
    await wb.step('CALL STACK: the frames with local file names', async () => {
        await wb.waitRow('debug-call-stack', `Stack Frame work, line ${BP_WORK}, app.py`, 'the top frame');
        const frames = await wb.rows('debug-call-stack');
        assert.ok(frames.some((f) => /^Stack Frame main, line \d+, app\.py$/.test(f)), frames.join(' | '));
        // Clicking a frame opens its file: the workspace's copy, the only editor open.
        await wb.page.locator('.debug-call-stack .monaco-list-row[aria-label^="Stack Frame main,"]').click();
        const local = path.join(folder, 'app.py');
        await wb.until('the caller\'s file open', (file) => document.querySelector(`.tabs-container .tab.active .monaco-icon-label[aria-label="${file}"]`) !== null, local);
        assert.strictEqual(await wb.page.locator('.tabs-container .tab').count(), 1, 'an editor other than the workspace copy opened');
        await wb.page.locator('.debug-call-stack .monaco-list-row[aria-label^="Stack Frame work,"]').click();
        await wb.waitStoppedAt(BP_WORK);
    });
    await wb.step('VARIABLES: the locals and their values', async () => {
        await wb.waitRow('debug-variables', 'count, value 8', 'count');
        const rows = await wb.rows('debug-variables');
        for (const expected of ['n, value 7', "text, value 'hello'", 'numbers, value [0, 1, 2', 'obj, value <__main__.Outer object']) {
            assert.ok(rows.some((r) => r.startsWith(expected)), `no '${expected}' in ${rows.join(' | ')}`);
        }
    });
    await wb.step('VARIABLES: expanding an object shows its attributes', async () => {
        await wb.toggle('debug-variables', 'obj, value');
        await wb.waitRow('debug-variables', "label, value 'outer'", 'obj.label');
        await wb.waitRow('debug-variables', 'inner, value <__main__.Inner object', 'obj.inner');
        await wb.toggle('debug-variables', 'obj, value');
    });
    await wb.step('VARIABLES: a list of 1,000 items in pages of 100', async () => {
        await wb.toggle('debug-variables', 'numbers, value');
        await wb.waitRow('debug-variables', '[0..99]', 'the first page');
        await (await wb.revealRow('debug-variables', '[900..999]')).locator('.monaco-tl-twistie').click();
        await (await wb.revealRow('debug-variables', '[999], value 999')).waitFor();
    });
    await wb.step('VARIABLES: the list folded again', async () => {
        await wb.scrollToTop('debug-variables');
        await wb.toggle('debug-variables', 'numbers, value');
        await wb.waitRow('debug-variables', 'obj, value', 'the locals after the list');
    });
    await wb.step('hover over a variable shows its value', async () => {
        const shown = await wb.hover(BP_WORK, 'count');
        assert.strictEqual(shown, '8');
    });
    await wb.step('WATCH: an expression not yet defined', async () => {
        await wb.page.keyboard.press('Escape');
        await wb.addWatch('total');
        await wb.waitRow('debug-watch', "total, value name 'total' is not defined", 'the watch');
    });
    await wb.step('DEBUG CONSOLE: evaluate an expression', async () => {
        await wb.consoleType('obj.label');
        await wb.page.keyboard.press('Enter');
        await wb.waitConsole("'outer'", 'the result');
    });
    await wb.step('DEBUG CONSOLE: completions after "."', async () => {
        await wb.consoleType('obj.');
        await wb.waitSuggestions(['inner', 'label']);
        await wb.page.keyboard.press('Escape');
        await wb.consoleType('');
    });
    await wb.step('Step Over: the marker moves, the WATCH updates', async () => {
        await wb.toolbar('step-over');
        await wb.waitStoppedAt(AFTER_WORK);
        await wb.waitRow('debug-watch', 'total, value 1008', 'the watch after the step');
    });
    await wb.step('Continue to the next hit', async () => {
        await wb.toolbar('continue');
        await wb.waitStoppedAt(BP_WORK);
        await wb.waitRow('debug-variables', 'count, value 9', 'count in the second call');
    });
    await wb.step('Disconnect: the session ends, the program runs on', async () => {
        await wb.toolbar('disconnect');
        await wb.waitNoToolbar('the debug toolbar gone');
        await debuggee.done('hit');
        debuggee.send('print still running');
        await debuggee.proc.stdout.wait('still running\n', 30_000, `ptvsd ${release} debuggee after the disconnect`);
    });
    await wb.step('attach again, with Uncaught Exceptions ticked', async () => {
        await wb.startDebugging(configuration);
        await wb.waitToolbar();
        await wb.checkExceptionFilter('Uncaught Exceptions');
        await wb.waitConsole('Attached to ptvsd protocol', 'the second attach');
    });
    await wb.step('an uncaught exception: the exception widget with its type and message', async () => {
        debuggee.send('die');
        await expectExceptionWidget(wb);
    });
    await wb.step('Continue: the program ends with its traceback, and the session with it', async () => {
        await wb.toolbar('continue');
        await wb.waitNoToolbar('the session ended');
        await within(debuggee.proc.exited, 30_000, `ptvsd ${release} debuggee's end`);
        // ptvsd splits the traceback between stdout and stderr.
        const output = debuggee.proc.stdout.all() + debuggee.proc.stderr.all();
        assert.ok(output.includes('ValueError: bad 7'), `no traceback in the program's output:\n${output}`);
    });
}
