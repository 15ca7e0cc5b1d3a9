// The test harness itself: the checks must catch what they are meant to catch.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { dapSchemaErrors } from './dap';
import { APP, listeningBy, markerLine, pidsWithEnv, pollUntil } from './harness';
import { expandSnippet, resolveVariables, snippetConfiguration } from './launchSchema';

describe('harness', () => {
    it('validates messages against the DAP schema', () => {
        const frame = { id: 1, name: 'work', line: 41, column: 1, source: { path: '/a.py' } };
        const ok = { seq: 3, type: 'response', request_seq: 2, success: true, command: 'stackTrace', body: { stackFrames: [frame] } };
        assert.deepEqual(dapSchemaErrors(ok), []);
        assert.notDeepEqual(dapSchemaErrors({ ...ok, body: { stackFrames: [{ ...frame, line: null }] } }), [], 'null line');
        assert.notDeepEqual(dapSchemaErrors({ ...ok, body: { stackFrames: [{ ...frame, id: -1.5 }] } }), [], 'non-integer id');
        assert.notDeepEqual(dapSchemaErrors({ ...ok, body: {} }), [], 'no stackFrames');
        const failed = { seq: 4, type: 'response', request_seq: 3, success: false, command: 'evaluate', message: 'x' };
        assert.deepEqual(dapSchemaErrors({ ...failed, body: { error: { id: 1, format: 'x' } } }), []);
        assert.notDeepEqual(dapSchemaErrors({ ...failed, body: { error: 'x' } }), [], 'error as a string');
        const stopped = { seq: 5, type: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 1 } };
        assert.deepEqual(dapSchemaErrors(stopped), []);
        assert.notDeepEqual(dapSchemaErrors({ ...stopped, body: { threadId: 1 } }), [], 'stopped without reason');
    });

    it('expands snippets as VS Code inserts them', () => {
        assert.equal(expandSnippet('${1:a} ${2|wss,ws|} \\${workspaceFolder} ${3} x\\\\y'), 'a wss ${workspaceFolder}  x\\y');
        assert.throws(() => expandSnippet('${workspaceFolder}'), /escape it/);
        assert.deepEqual(snippetConfiguration({ port: '^${1:5678}', root: '^"\\${workspaceFolder}"', name: '${2:n}' }), { port: 5678, root: '${workspaceFolder}', name: 'n' });
        assert.deepEqual(resolveVariables({ a: ['${workspaceFolder}/x'], b: 1 }, '/w'), { a: ['/w/x'], b: 1 });
    });

    it('finds fixture lines by marker', () => {
        assert.ok(markerLine(APP, 'bp_work') > 1);
        assert.equal(markerLine(APP, 'after_work'), markerLine(APP, 'bp_work') + 1);
        assert.throws(() => markerLine(APP, 'no_such_marker'));
    });

    it('sees a listening socket in /proc, by its owner', async () => {
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const port = (server.address() as net.AddressInfo).port;
        try {
            assert.equal(listeningBy(process.pid, port), true);
            assert.equal(listeningBy(process.ppid, port), false);
        } finally {
            server.close();
        }
        await pollUntil(5000, 'the port closed', () => (listeningBy(process.pid, port) ? undefined : true));
    });

    it('finds processes by an environment mark', async () => {
        const mark = crypto.randomUUID();
        const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { ...process.env, PTVSD_DAP_VSCODE_SELFTEST: mark }, stdio: 'ignore' });
        try {
            await pollUntil(5000, 'the child seen', () => (pidsWithEnv('PTVSD_DAP_VSCODE_SELFTEST', mark).includes(child.pid!) ? true : undefined));
        } finally {
            child.kill('SIGKILL');
        }
        await pollUntil(5000, 'the child gone', () => (pidsWithEnv('PTVSD_DAP_VSCODE_SELFTEST', mark).length === 0 ? true : undefined));
    });
});
