// The descriptor factory: which binary VS Code runs for a `ptvsd-remote` session.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { AdapterNotFound, adapterArgs, bundledAdapter, expandHome, findAdapter } from '../src/adapterPath';
import { DebugAdapterExecutable, descriptorFor, executed, installed, resolveConfiguration, resolveSubstituted, settings, shown, ui } from './fakeVscode';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ptvsd-dap-vscode-ext-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(rel: string, mode: number): string {
    const p = path.join(tmp, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, '#!/bin/sh\n');
    fs.chmodSync(p, mode);
    return p;
}

const binA = file('a/ptvsd-dap', 0o755);
const notExec = file('b/ptvsd-dap', 0o644);
const binC = file('c/ptvsd-dap', 0o755);
const session = { id: '1', type: 'ptvsd-remote', name: 'x', configuration: {} };

describe('finding ptvsd-dap', () => {
    it('takes the ptvsd-dap.path setting first', () => {
        assert.deepEqual(findAdapter({ configured: binC, envPath: path.dirname(binA) }), { path: binC, from: 'setting' });
    });

    it('expands ~ and resolves a relative setting against the workspace folder', () => {
        assert.equal(expandHome('~/bin/x', '/home/me'), path.join('/home/me', 'bin/x'));
        assert.equal(findAdapter({ configured: '~/c/ptvsd-dap', home: tmp, envPath: '' }).path, binC);
        assert.equal(findAdapter({ configured: './c/ptvsd-dap', baseDir: tmp, envPath: '' }).path, binC);
        assert.throws(() => findAdapter({ configured: './c/ptvsd-dap', envPath: '' }), /relative path/);
    });

    it('refuses a setting that is not an executable file, naming the setting', () => {
        assert.throws(() => findAdapter({ configured: notExec, envPath: '' }), (e: Error) => e instanceof AdapterNotFound && /ptvsd-dap\.path/.test(e.message) && e.message.includes(notExec));
        assert.throws(() => findAdapter({ configured: path.join(tmp, 'a'), envPath: '' }), AdapterNotFound);
    });

    it('looks on PATH, skipping non-executables and empty entries', () => {
        const envPath = ['', path.dirname(notExec), path.dirname(binA), path.dirname(binC)].join(':');
        assert.deepEqual(findAdapter({ envPath }), { path: binA, from: 'PATH' });
        assert.deepEqual(findAdapter({ configured: 'ptvsd-dap', envPath }), { path: binA, from: 'setting' });
    });

    it('takes the bundled binary after the setting and before PATH', () => {
        const bundled = file('pkg/bin/ptvsd-dap', 0o755);
        const envPath = path.dirname(binA);
        assert.deepEqual(findAdapter({ bundled, envPath }), { path: bundled, from: 'bundled' });
        assert.deepEqual(findAdapter({ configured: binC, bundled, envPath }), { path: binC, from: 'setting' });
        // A package without a binary (the generic one) goes on to PATH.
        assert.deepEqual(findAdapter({ bundled: path.join(tmp, 'none/bin/ptvsd-dap'), envPath }), { path: binA, from: 'PATH' });
    });

    it('names a bundled binary that is not executable, with the fix', () => {
        const broken = file('broken/bin/ptvsd-dap', 0o644);
        assert.throws(
            () => findAdapter({ bundled: broken, envPath: path.dirname(binA) }),
            (e: Error) => e instanceof AdapterNotFound && e.message.includes(broken) && /Reinstall/.test(e.message) && /ptvsd-dap\.path/.test(e.message),
        );
    });

    it('looks for the bundled binary in the package\'s bin folder, with .exe on Windows', () => {
        assert.equal(bundledAdapter('/ext', 'linux'), '/ext/bin/ptvsd-dap');
        assert.equal(bundledAdapter('/ext', 'darwin'), '/ext/bin/ptvsd-dap');
        assert.equal(bundledAdapter('C:\\ext', 'win32'), 'C:\\ext\\bin\\ptvsd-dap.exe');
    });

    it('says what to do when there is none', () => {
        assert.throws(() => findAdapter({ envPath: path.dirname(notExec) }), (e: Error) => /not on PATH/.test(e.message) && /ptvsd-dap\.path/.test(e.message));
    });

    it('uses PATHEXT on Windows', () => {
        const seen: string[] = [];
        const found = findAdapter({
            platform: 'win32',
            envPath: 'C:\\tools;C:\\bin',
            pathExt: '.COM;.EXE',
            isExecutable: (f) => {
                seen.push(f);
                return f === 'C:\\bin\\ptvsd-dap.exe';
            },
        });
        assert.equal(found.path, 'C:\\bin\\ptvsd-dap.exe');
        assert.deepEqual(seen, ['C:\\tools\\ptvsd-dap.com', 'C:\\tools\\ptvsd-dap.exe', 'C:\\bin\\ptvsd-dap.com', 'C:\\bin\\ptvsd-dap.exe']);
    });

    it('passes the log settings as arguments, and nothing by default', () => {
        assert.deepEqual(adapterArgs('', 'info'), []);
        assert.deepEqual(adapterArgs(undefined, undefined), []);
        assert.deepEqual(adapterArgs('/tmp/a.log', 'trace'), ['--log-file', '/tmp/a.log', '--log-level', 'trace']);
        assert.deepEqual(adapterArgs('~/a.log', '', '/home/me'), ['--log-file', path.join('/home/me', 'a.log')]);
    });
});

describe('the extension (on a stand-in vscode module)', () => {
    it('registers a factory whose descriptor is DebugAdapterExecutable(path of ptvsd-dap)', () => {
        settings['ptvsd-dap.path'] = binC;
        settings['ptvsd-dap.logFile'] = '';
        const d = descriptorFor(session);
        assert.ok(d instanceof DebugAdapterExecutable);
        assert.equal(d.command, binC);
        assert.deepEqual(d.args, []);
        assert.equal(d.options, undefined);
    });

    it('runs the binary bundled in the installed package when the setting is empty', () => {
        const saved = installed.extensionPath;
        settings['ptvsd-dap.path'] = '';
        installed.extensionPath = path.join(tmp, 'installed');
        const bundled = file('installed/bin/ptvsd-dap', 0o755);
        try {
            assert.equal(descriptorFor(session).command, bundled);
        } finally {
            installed.extensionPath = saved;
        }
    });

    it('finds ptvsd-dap on PATH when the setting is empty', () => {
        const saved = process.env.PATH;
        settings['ptvsd-dap.path'] = '';
        process.env.PATH = [path.dirname(notExec), path.dirname(binA)].join(path.delimiter);
        try {
            assert.equal(descriptorFor(session).command, binA);
        } finally {
            process.env.PATH = saved;
        }
    });

    it('fails the session start with what to do when ptvsd-dap is nowhere', () => {
        const saved = process.env.PATH;
        settings['ptvsd-dap.path'] = '';
        process.env.PATH = path.dirname(notExec);
        try {
            assert.throws(() => descriptorFor(session), /Cannot find the ptvsd-dap debug adapter/);
        } finally {
            process.env.PATH = saved;
        }
    });

    it('a missing adapter: the session does not start, the message offers Open Settings, which opens the setting', async () => {
        const missing = path.join(tmp, 'no-such-folder', 'ptvsd-dap');
        settings['ptvsd-dap.path'] = missing;
        shown.length = 0;
        executed.length = 0;
        ui.errorChoice = 'Open Settings';
        try {
            const config = { type: 'ptvsd-remote', request: 'attach', name: 'x', url: 'tcp://s@h:5678' };
            assert.equal(resolveSubstituted('/work/app', config), undefined);
            assert.equal(shown.length, 1);
            assert.ok(shown[0].message.includes(missing), shown[0].message);
            assert.match(shown[0].message, /ptvsd-dap\.path/);
            assert.deepEqual(shown[0].items, ['Open Settings']);
            await new Promise((resolve) => setImmediate(resolve));
            assert.deepEqual(executed, [['workbench.action.openSettings', 'ptvsd-dap.path']]);

            settings['ptvsd-dap.path'] = binC;
            assert.deepEqual(resolveSubstituted('/work/app', config), config);
            assert.equal(shown.length, 1, 'a message with a working adapter');
        } finally {
            ui.errorChoice = undefined;
        }
    });

    it('passes the workspace folder as cwd, and opens launch.json when there is no configuration', () => {
        const config = { type: 'ptvsd-remote', request: 'attach', name: 'x', site: 'mysite', webDebugConfig: 'web.debug.config' };
        assert.deepEqual(resolveConfiguration('/work/app', config), { ...config, cwd: '/work/app' });
        assert.deepEqual(resolveConfiguration('/work/app', { ...config, cwd: '/elsewhere' }), { ...config, cwd: '/elsewhere' });
        assert.deepEqual(resolveConfiguration(undefined, config), config);
        assert.equal(resolveConfiguration('/work/app', {}), null);
    });

    it('resolves a relative setting against the session workspace folder', () => {
        settings['ptvsd-dap.path'] = 'a/ptvsd-dap';
        assert.equal(descriptorFor({ ...session, workspaceFolder: { uri: { fsPath: tmp } } }).command, binA);
    });
});
