// Debug sessions as VS Code runs them, through the extension's own descriptor factory, against
// real ptvsd of every supported release: over a WebSocket relay (websockify, the App Service
// proxy's role) with a `url` configuration, and straight over TCP with host/port/secret.
//
// The full session: attach (a launch.json configuration, schema-checked) → breakpoint → stop
// line → threads/stack/scopes/variables → evaluate → step → continue → disconnect; the adapter
// then exits by itself (front and connection owner), and the debuggee runs on: a new `hit`
// passes the old breakpoint and prints `done hit`.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DebugProtocol as P } from '@vscode/debugprotocol';
import { descriptorFor, resolveConfiguration, settings } from './fakeVscode';
import { VsCodeClient, VSCODE_INITIALIZE } from './dap';
import { adapterBin, APP, Debuggee, EXIT, FIXTURES, markerLine, pidsWithEnv, pollUntil, Relay, Release, RELEASES, T } from './harness';
import { configurationErrors, Json, resolveVariables } from './launchSchema';

type Transport = 'ws' | 'tcp';

const BP_LINE = markerLine(APP, 'bp_work');
const AFTER_LINE = markerLine(APP, 'after_work');
/** Marks the adapter's processes (the front and its connection owner) in their environment. */
const MARK = 'PTVSD_DAP_VSCODE_SESSION';

/** A debuggee (and its relay for ws), and a VS Code-like client on the extension's adapter. */
class Rig {
    dc: VsCodeClient | undefined;
    caps: P.Capabilities = {};
    readonly mark = crypto.randomUUID();
    readonly logFile: string;

    private constructor(
        readonly release: Release,
        readonly transport: Transport,
        readonly debuggee: Debuggee,
        readonly relay: Relay | undefined,
    ) {
        // test.sh's own temporary folder, removed however the run ends.
        const dir = process.env.PTVSD_DAP_VSCODE_TMP ?? os.tmpdir();
        this.logFile = path.join(dir, `ptvsd-dap-vscode-${process.pid}-${crypto.randomUUID()}.log`);
    }

    static async start(release: Release, transport: Transport): Promise<Rig> {
        const debuggee = await Debuggee.start(release);
        try {
            const relay = transport === 'ws' ? await Relay.start(debuggee.port) : undefined;
            return new Rig(release, transport, debuggee, relay);
        } catch (error) {
            debuggee.stop();
            throw error;
        }
    }

    /** The launch.json entry a user would write for this rig (before VS Code resolves variables). */
    launchJson(secret = this.debuggee.secret): Json {
        if (this.transport === 'ws') {
            return {
                type: 'ptvsd-remote',
                request: 'attach',
                name: `ptvsd ${this.release} (WebSocket)`,
                url: this.relay!.url(secret),
                pathMappings: [{ localRoot: '${workspaceFolder}', remoteRoot: FIXTURES }],
            };
        }
        return {
            type: 'ptvsd-remote',
            request: 'attach',
            name: `ptvsd ${this.release} (TCP)`,
            host: '127.0.0.1',
            port: this.debuggee.port,
            transport: 'tcp',
            secret,
            localRoot: '${workspaceFolder}',
            remoteRoot: FIXTURES,
            redirectOutput: true,
        };
    }

    /** VS Code asks the extension for the adapter, then spawns its command with its args. */
    async startAdapter(config: Json): Promise<VsCodeClient> {
        assert.deepEqual(configurationErrors(config), [], 'the launch.json configuration must match the extension schema');
        settings['ptvsd-dap.path'] = adapterBin();
        settings['ptvsd-dap.logFile'] = this.logFile;
        settings['ptvsd-dap.logLevel'] = 'debug';
        const session = { id: crypto.randomUUID(), type: 'ptvsd-remote', name: config.name, workspaceFolder: { uri: { fsPath: FIXTURES } }, configuration: config };
        const exe = descriptorFor(session);
        assert.equal(exe.command, adapterBin());
        assert.deepEqual(exe.args, ['--log-file', this.logFile, '--log-level', 'debug']);
        const dc = new VsCodeClient({ command: exe.command, args: exe.args, env: { ...process.env, [MARK]: this.mark } });
        this.dc = dc;
        dc.guardSecret(this.debuggee.secret);
        await dc.start();
        const init = await dc.request<P.InitializeResponse>('initialize', VSCODE_INITIALIZE);
        this.caps = init.body ?? {};
        return dc;
    }

    /**
     * VS Code's start of an attach session: initialize → attach → on `initialized`: breakpoints,
     * exception filters → configurationDone; then `threads` (VS Code asks on each `thread` event).
     */
    async attach(lines: number[]): Promise<VsCodeClient> {
        const config = this.launchJson();
        const dc = await this.startAdapter(config);
        assert.equal(this.caps.supportsConfigurationDoneRequest, true, 'VS Code sends configurationDone only if it is supported');
        const initialized = dc.waitForEvent('initialized', T);
        const attached = dc.request<P.AttachResponse>('attach', vscodeAttachArguments(config));
        await initialized;
        const bps = await dc.request<P.SetBreakpointsResponse>('setBreakpoints', {
            source: { name: 'app.py', path: APP },
            lines,
            breakpoints: lines.map((line) => ({ line })),
            sourceModified: false,
        });
        assert.deepEqual(bps.body.breakpoints.map((b) => b.line), lines, `one breakpoint per requested one, on its line: ${JSON.stringify(bps.body)}`);
        if (this.caps.supportsFunctionBreakpoints) {
            await dc.request('setFunctionBreakpoints', { breakpoints: [] });
        }
        const filters = (this.caps.exceptionBreakpointFilters ?? []).filter((f) => f.default).map((f) => f.filter);
        await dc.request('setExceptionBreakpoints', { filters });
        await dc.request('configurationDone', {});
        await attached;
        // The front VS Code started and the connection owner it spawned both carry the mark; the
        // check after the session (none left) depends on seeing them here.
        const adapterPids = pidsWithEnv(MARK, this.mark);
        assert.ok(adapterPids.includes(dc.process.pid) && adapterPids.length >= 2, `the front and its connection owner: ${adapterPids}`);
        // ptvsd reports the program's threads a little after it answered the attach (VS Code
        // learns of them from `thread` events): ask again until they are there.
        const deadline = Date.now() + T;
        let threads = await dc.request<P.ThreadsResponse>('threads', undefined);
        while (threads.body.threads.length === 0 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            threads = await dc.request<P.ThreadsResponse>('threads', undefined);
        }
        assert.ok(threads.body.threads.length > 0, `no threads while running: ${JSON.stringify(threads.body)}`);
        return dc;
    }

    /** Sends `hit` and waits for the breakpoint; VS Code then asks threads and the stack. */
    async hitBreakpoint(): Promise<{ threadId: number; top: P.StackFrame; frames: P.StackFrame[] }> {
        const dc = this.dc!;
        const stopped = dc.waitForEvent('stopped', T) as Promise<P.StoppedEvent>;
        this.debuggee.send('hit');
        const stop = await stopped;
        assert.equal(stop.body.reason, 'breakpoint', `stopped: ${JSON.stringify(stop)}`);
        const threadId = stop.body.threadId!;
        assert.ok(Number.isInteger(threadId), `stopped without threadId: ${JSON.stringify(stop)}`);
        const threads = await dc.request<P.ThreadsResponse>('threads', undefined);
        assert.ok(threads.body.threads.some((t) => t.id === threadId), `thread ${threadId} not in ${JSON.stringify(threads.body)}`);
        const stack = await dc.request<P.StackTraceResponse>('stackTrace', { threadId, startFrame: 0, levels: 20 });
        const top = stack.body.stackFrames[0];
        assert.equal(top.name, 'work', `top frame: ${JSON.stringify(top)}`);
        assert.equal(top.line, BP_LINE, `stopped at line ${top.line}, not at '# @bp_work' (${BP_LINE})`);
        assert.equal(top.source?.path, APP, `top frame source: ${JSON.stringify(top.source)}`);
        return { threadId, top, frames: stack.body.stackFrames };
    }

    /** The variables of the frame's first inexpensive scope (what VS Code expands on a stop). */
    async locals(frameId: number): Promise<P.Variable[]> {
        const dc = this.dc!;
        const scopes = await dc.request<P.ScopesResponse>('scopes', { frameId });
        const locals = scopes.body.scopes.find((s) => !s.expensive);
        assert.ok(locals, `no inexpensive scope: ${JSON.stringify(scopes.body)}`);
        return (await dc.request<P.VariablesResponse>('variables', { variablesReference: locals.variablesReference })).body.variables;
    }

    /** After the session: the adapter's processes are all gone, and the debuggee runs on. */
    async assertDetachedCleanly(): Promise<void> {
        await pollUntil(EXIT, 'every adapter process (front and connection owner) gone', () => (pidsWithEnv(MARK, this.mark).length === 0 ? true : undefined));
        this.debuggee.send('hit');
        await this.debuggee.done('hit');
        assert.ok(this.debuggee.proc.running(), 'the debuggee keeps running after the detach');
        const dc = this.dc!;
        assert.deepEqual(dc.problems, [], 'what the adapter wrote must be well-formed DAP');
        const log = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
        assert.deepEqual(dc.secretProblems(log), [], 'the secret must not appear in messages, stderr or the log');
    }

    describe(): string {
        const dc = this.dc;
        return [
            this.debuggee.describe(),
            this.relay?.describe() ?? '',
            dc ? `--- adapter stderr ---\n${dc.process.stderr.tail(2000)}` : '',
            dc ? `--- problems ---\n${dc.problems.join('\n')}` : '',
            dc ? `--- last messages from the adapter ---\n${dc.received.slice(-12).map((m) => JSON.stringify(m)).join('\n')}` : '',
            fs.existsSync(this.logFile) ? `--- adapter log (tail) ---\n${fs.readFileSync(this.logFile, 'utf8').slice(-3000)}` : '',
        ]
            .filter((d) => d !== '')
            .join('\n');
    }

    stop(label: string): void {
        const trace = process.env.PTVSD_DAP_VSCODE_TRACE;
        if (this.dc && trace) {
            // Every message the adapter wrote, one JSON per line, for a look at a whole session.
            fs.mkdirSync(trace, { recursive: true });
            fs.writeFileSync(path.join(trace, `${label}-${this.release}-${this.transport}.jsonl`), this.dc.received.map((m) => JSON.stringify(m)).join('\n') + '\n');
        }
        this.dc?.kill();
        this.relay?.stop();
        this.debuggee.stop();
        fs.rmSync(this.logFile, { force: true });
    }
}

/** Runs `body` on a fresh rig, with the whole picture on failure and cleanup always. */
async function withRig(label: string, release: Release, transport: Transport, body: (rig: Rig) => Promise<void>): Promise<void> {
    const rig = await Rig.start(release, transport);
    try {
        await body(rig);
    } catch (error) {
        (error as Error).message += '\n' + rig.describe();
        throw error;
    } finally {
        rig.stop(label);
    }
}

async function fullSession(rig: Rig): Promise<void> {
    const dc = await rig.attach([BP_LINE]);
    const { threadId, top, frames } = await rig.hitBreakpoint();
    assert.equal(frames[1]?.name, 'main', `caller: ${JSON.stringify(frames[1])}`);

    const vars = await rig.locals(top.id);
    assert.equal(variable(vars, 'count').value, '8');
    assert.equal(variable(vars, 'text').value, "'hello'");
    const items = variable(vars, 'items');
    assert.ok(items.variablesReference > 0, `items must be expandable: ${JSON.stringify(items)}`);
    const children = (await dc.request<P.VariablesResponse>('variables', { variablesReference: items.variablesReference })).body.variables;
    assert.deepEqual(children.map((c) => c.value), ['1', '2', '3'], `items' children: ${JSON.stringify(children)}`);

    // Evaluate as the Debug Console (repl), a hover and the Watch view do.
    const repl = await dc.request<P.EvaluateResponse>('evaluate', { expression: 'n * 2', frameId: top.id, context: 'repl' });
    assert.equal(repl.body.result, '14');
    const hover = await dc.request<P.EvaluateResponse>('evaluate', { expression: 'obj.inner.value', frameId: top.id, context: 'hover' });
    assert.equal(hover.body.result, '42');
    const watch = await dc.rawRequest('evaluate', { expression: 'no_such_name', frameId: top.id, context: 'watch' });
    assert.equal(watch.success, false, `a watch of an undefined name fails: ${JSON.stringify(watch)}`);
    assert.match(vscodeErrorText(watch), /no_such_name/, 'VS Code shows the Python error in the Watch view');

    // Debug Console completions as VS Code asks for them: the text typed so far, the cursor
    // column (1-based), the frame; VS Code replaces `length` characters before the cursor and
    // filters with the text from `start` (0-based).
    assert.equal(rig.caps.supportsCompletionsRequest, true, 'the Debug Console offers completions');
    const completions = await dc.request<P.CompletionsResponse>('completions', { text: 'obj.inner.va', column: 13, frameId: top.id });
    const value = completions.body.targets.find((t) => t.label === 'value');
    assert.ok(value, `obj.inner.va completes to value: ${JSON.stringify(completions.body)}`);
    assert.deepEqual([value.start, value.length], [10, 2], `the range replaced: ${JSON.stringify(value)}`);

    // Step over: answered before the stop it causes, one line down.
    const stepped = dc.waitForEvent('stopped', T) as Promise<P.StoppedEvent>;
    const next = await dc.request<P.NextResponse>('next', { threadId });
    const step = await stepped;
    assert.equal(step.body.reason, 'step', `stopped: ${JSON.stringify(step)}`);
    const iNext = dc.indexOf((m) => m.type === 'response' && m.request_seq === next.request_seq);
    const iStop = dc.indexOf((m) => m.type === 'event' && m.event === 'stopped' && m.body?.reason === 'step');
    assert.ok(iNext < iStop, 'the next response must come before its stopped event');
    const stack = await dc.request<P.StackTraceResponse>('stackTrace', { threadId: step.body.threadId ?? threadId, startFrame: 0, levels: 20 });
    assert.equal(stack.body.stackFrames[0].line, AFTER_LINE, `after next: line ${stack.body.stackFrames[0].line}, not '# @after_work' (${AFTER_LINE})`);
    assert.equal(variable(await rig.locals(stack.body.stackFrames[0].id), 'total').value, '11');

    // Continue to the end of work(7).
    const cont = await dc.request<P.ContinueResponse>('continue', { threadId });
    assert.equal(typeof cont.body, 'object', 'continue has an object body');
    await rig.debuggee.done('hit');

    // Disconnect as VS Code's Disconnect button does for an attach; the adapter exits by itself.
    await dc.request('disconnect', { restart: false, ...(rig.caps.supportTerminateDebuggee ? { terminateDebuggee: false } : {}) });
    const exit = await dc.exit(EXIT);
    assert.deepEqual(exit, { code: 0, signal: null }, 'the adapter exits with 0 after disconnect');
    await rig.assertDetachedCleanly();
}

/**
 * VS Code's Disconnect while stopped at a breakpoint: `disconnect` (2 s timeout), then
 * `stopSession()` SIGTERMs the adapter at once. The stopped debuggee must be released.
 */
async function disconnectWhileStoppedThenSigterm(rig: Rig): Promise<void> {
    const dc = await rig.attach([BP_LINE]);
    await rig.hitBreakpoint();
    await dc.request('disconnect', { restart: false }, 2000);
    dc.process.child.kill('SIGTERM');
    await dc.exit(EXIT);
    await rig.debuggee.done('hit');
    await rig.assertDetachedCleanly();
}

/** A wrong secret: the attach fails with text VS Code can show; the debuggee stays attachable. */
async function wrongSecretIsShown(rig: Rig): Promise<void> {
    const config = rig.launchJson('not-the-secret');
    const dc = await rig.startAdapter(config);
    const attach = await dc.rawRequest('attach', vscodeAttachArguments(config));
    assert.equal(attach.success, false, `attach with a wrong secret must fail: ${JSON.stringify(attach)}`);
    assert.match(vscodeErrorText(attach), /secret/i, 'the message VS Code shows names the secret');
    await dc.request('disconnect', { restart: false }, 2000);
    dc.process.child.kill('SIGTERM');
    await dc.exit(EXIT);
    await rig.assertDetachedCleanly();
}

/** The attach arguments VS Code sends for a launch.json entry: resolved by the extension, variables substituted, `__sessionId` added. */
function vscodeAttachArguments(config: Json): Json {
    const resolved = resolveConfiguration(FIXTURES, config);
    assert.ok(resolved, 'the extension resolves the configuration');
    assert.equal(resolved.cwd, FIXTURES, 'the extension passes the workspace folder as cwd');
    return { ...resolveVariables(resolved, FIXTURES), __sessionId: crypto.randomUUID() };
}

/** What VS Code shows for a failed response (RawDebugSession.handleErrorResponse). */
function vscodeErrorText(response: P.Response): string {
    const error = (response.body as { error?: P.Message } | undefined)?.error;
    if (error) {
        return error.format.replace(/{([^}]+)}/g, (match, name: string) => error.variables?.[name] ?? match);
    }
    return response.message ?? '';
}

/** VS Code pops an error notification for a failed request (other than launch/attach/initialize) when this is true. */
function vscodeNotifies(response: P.Response): boolean {
    const error = (response.body as { error?: P.Message } | undefined)?.error;
    return !!(error && error.format && error.showUser);
}

function variable(vars: P.Variable[], name: string): P.Variable {
    const v = vars.find((x) => x.name === name);
    assert.ok(v, `no variable '${name}' in ${JSON.stringify(vars.map((x) => x.name))}`);
    return v;
}

const concurrency = Number(process.env.PTVSD_DAP_VSCODE_CONCURRENCY ?? 4);

describe('VS Code sessions (DebugClient) against real ptvsd', { concurrency }, () => {
    for (const release of RELEASES) {
        for (const transport of ['ws', 'tcp'] as const) {
            it(`ptvsd ${release} over ${transport}: attach, breakpoint, stack, variables, evaluate, step, detach`, { timeout: 180_000 }, () =>
                withRig('full', release, transport, fullSession),
            );
        }
    }
    RELEASES.forEach((release, i) => {
        const transport = i % 2 === 0 ? 'ws' : 'tcp';
        it(`ptvsd ${release} over ${transport}: Disconnect while stopped, then SIGTERM as VS Code does`, { timeout: 180_000 }, () =>
            withRig('sigterm', release, transport, disconnectWhileStoppedThenSigterm),
        );
    });
    it('ptvsd 3.2.1 over ws: a wrong secret fails the attach with a message that says so', { timeout: 180_000 }, () =>
        withRig('secret', '3.2.1', 'ws', wrongSecretIsShown),
    );
    // A failed hover or watch evaluate must not carry body.error.showUser: VS Code would pop an
    // error notification for each one (RawDebugSession.handleErrorResponse).
        it(
            'a failed hover or watch evaluate does not pop a VS Code error notification',
            { timeout: 180_000 },
            () =>
                withRig('showuser', '3.2.1', 'tcp', async (rig) => {
                    const dc = await rig.attach([BP_LINE]);
                    const { threadId, top } = await rig.hitBreakpoint();
                    for (const context of ['hover', 'watch']) {
                        const r = await dc.rawRequest('evaluate', { expression: 'no_such_name', frameId: top.id, context });
                        assert.equal(r.success, false);
                        assert.equal(vscodeNotifies(r), false, `a failed ${context} evaluate would pop a notification: ${JSON.stringify(r)}`);
                    }
                    await dc.request('continue', { threadId });
                    await rig.debuggee.done('hit');
                    await dc.request('disconnect', { restart: false });
                    await dc.exit(EXIT);
                }),
        );
});
