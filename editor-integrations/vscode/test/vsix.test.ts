// The linux-x64 platform package (test.sh builds it with package.sh, the debug adapter inside),
// installed as VS Code installs a .vsix (unzipped with each file's mode), on a machine with no
// ptvsd-dap on PATH and the ptvsd-dap.path setting empty: the packaged extension code runs the
// bundled binary, and a debug session through it stops at a breakpoint against real ptvsd 3.2.1.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DebugProtocol as P } from '@vscode/debugprotocol';
import { DebugAdapterExecutable, install, registered, settings } from './fakeVscode';
import { VsCodeClient, VSCODE_INITIALIZE } from './dap';
import { APP, Debuggee, FIXTURES, markerLine, sendUntil, T } from './harness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ptvsd-dap-vsix-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Unzips like VS Code's installer: every file with the mode the package recorded. */
function installVsix(vsix: string, dir: string): string {
    const unzip = `
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        mode = info.external_attr >> 16
        if mode:
            os.chmod(path, mode & 0o777)
`;
    const result = spawnSync('python3', ['-c', unzip, vsix, dir], { encoding: 'utf8' });
    assert.equal(result.status, 0, `cannot unzip ${vsix}: ${result.stderr}`);
    return path.join(dir, 'extension');
}

/** A PATH of the system folders only, where no ptvsd-dap is. */
function pathWithoutAdapter(): string {
    const envPath = ['/usr/bin', '/bin'].join(path.delimiter);
    const found = spawnSync('sh', ['-c', 'command -v ptvsd-dap'], { env: { PATH: envPath } });
    assert.notEqual(found.status, 0, 'ptvsd-dap is on the system PATH: this test needs a machine without it');
    return envPath;
}

describe('the linux-x64 package', () => {
    it('runs its bundled binary with no ptvsd-dap on PATH, and a session stops at a breakpoint', async () => {
        const vsix = process.env.PTVSD_DAP_VSIX;
        assert.ok(vsix && fs.existsSync(vsix), 'PTVSD_DAP_VSIX must name the linux-x64 package: run test.sh');
        const extensionDir = installVsix(vsix, tmp);
        const manifest = fs.readFileSync(path.join(tmp, 'extension.vsixmanifest'), 'utf8');
        assert.match(manifest, /TargetPlatform="linux-x64"/);
        const bundled = path.join(extensionDir, 'bin', 'ptvsd-dap');
        fs.accessSync(bundled, fs.constants.X_OK);

        // The packaged extension code, activated as VS Code does.
        install();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const extension = require(path.join(extensionDir, 'out', 'src', 'extension.js')) as typeof import('../src/extension');
        registered.length = 0;
        extension.activate({ subscriptions: [], extensionPath: extensionDir } as unknown as import('vscode').ExtensionContext);
        const factory = registered.find((r) => r.type === 'ptvsd-remote')?.factory as {
            createDebugAdapterDescriptor(s: unknown, e: unknown): DebugAdapterExecutable;
        };
        settings['ptvsd-dap.path'] = '';
        settings['ptvsd-dap.logFile'] = '';
        const envPath = pathWithoutAdapter();
        const saved = process.env.PATH;
        process.env.PATH = envPath;
        let descriptor: DebugAdapterExecutable;
        try {
            descriptor = factory.createDebugAdapterDescriptor({ id: '1', type: 'ptvsd-remote', name: 'x', configuration: {} }, undefined);
        } finally {
            process.env.PATH = saved;
        }
        assert.equal(descriptor.command, bundled);

        const debuggee = await Debuggee.start('3.2.1');
        const dc = new VsCodeClient({ command: descriptor.command, args: descriptor.args, env: { ...process.env, PATH: envPath } });
        try {
            dc.guardSecret(debuggee.secret);
            await dc.start();
            await dc.request('initialize', VSCODE_INITIALIZE);
            const initialized = dc.waitForEvent('initialized', T);
            const attached = dc.request('attach', {
                url: `tcp://${debuggee.secret}@127.0.0.1:${debuggee.port}`,
                pathMappings: [{ localRoot: FIXTURES, remoteRoot: FIXTURES }],
            });
            await initialized;
            const line = markerLine(APP, 'bp_work');
            const bps = await dc.request<P.SetBreakpointsResponse>('setBreakpoints', { source: { path: APP }, breakpoints: [{ line }] });
            assert.equal(bps.body.breakpoints[0]?.verified, true, JSON.stringify(bps.body));
            await dc.request('configurationDone', {});
            await attached;
            const stop = await sendUntil(debuggee, 'hit', dc.waitForEvent('stopped', T) as Promise<P.StoppedEvent>);
            const stack = await dc.request<P.StackTraceResponse>('stackTrace', { threadId: stop.body.threadId! });
            assert.equal(stack.body.stackFrames[0]?.line, line);
            await dc.request('disconnect', {});
            await debuggee.done('hit');
            assert.deepEqual(dc.problems, [], 'what the adapter wrote must be well-formed DAP');
        } finally {
            dc.kill();
            debuggee.stop();
        }
    });
});
