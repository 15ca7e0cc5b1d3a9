// Processes for the end-to-end tests: the ptvsd debuggee running tests/fixtures/app.py, websockify
// in front of it, and waits with deadlines. Every process started here is killed when the test
// process ends, whatever the way out.

import { ChildProcess, spawn, SpawnOptions } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Readable } from 'stream';

/** The ptvsd-dap repository (this folder is editor-integrations/vscode; tests run from out/test). */
export const REPO = process.env.PTVSD_DAP_REPO ?? path.resolve(__dirname, '..', '..', '..', '..');
export const FIXTURES = path.join(REPO, 'tests', 'fixtures');
export const APP = path.join(FIXTURES, 'app.py');
export const RELEASES = ['2.2.0', '3.0.0', '3.1.0', '3.2.1'] as const;
export type Release = (typeof RELEASES)[number];

/** Waits for what the debuggee and the adapter do, and for ordinary answers. */
export const T = 30_000;
/** How long the adapter may take to exit once the session is over. */
export const EXIT = 10_000;
/** How long a process may take to listen. */
export const LISTEN = 30_000;

/** The cache made by scripts/setup-test-env.sh (one venv per ptvsd release, websockify). */
export function testEnv(): string {
    const dir = process.env.PTVSD_DAP_TEST_ENV;
    if (!dir) {
        throw new Error('PTVSD_DAP_TEST_ENV is not set: run editor-integrations/vscode/test.sh (it runs scripts/setup-test-env.sh)');
    }
    return dir;
}

export function adapterBin(): string {
    const bin = process.env.PTVSD_DAP_BIN;
    if (!bin) {
        throw new Error('PTVSD_DAP_BIN is not set: run editor-integrations/vscode/test.sh (it builds ptvsd-dap)');
    }
    return bin;
}

/** The 1-based line of `# @<marker>` in a fixture; there must be exactly one. */
export function markerLine(file: string, marker: string): number {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const re = new RegExp(`#\\s*@${marker}(\\s|$)`);
    const hits = lines.flatMap((text, i) => (re.test(text) ? [i + 1] : []));
    if (hits.length !== 1) {
        throw new Error(`${file}: expected one '# @${marker}' marker, found ${hits.length}`);
    }
    return hits[0];
}

export function uniqueSecret(): string {
    return 'Sk' + crypto.randomBytes(8).toString('hex');
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
export function within<V>(promise: Promise<V>, ms: number, what: string): Promise<V> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends `line` to the debuggee until `event` settles: ptvsd answers the attach before it traces the
 * program's threads (docs/protocol.md §8.2 item 11), so a command sent at once can run untraced
 * and show nothing; the line is sent again each `retryMs` that passes without the event.
 */
export async function sendUntil<V>(debuggee: Debuggee, line: string, event: Promise<V>, ms = T, retryMs = 1000): Promise<V> {
    const end = Date.now() + ms;
    let settled: { value: V } | undefined;
    const watched = event.then((value) => {
        settled = { value };
        return value;
    });
    for (;;) {
        debuggee.send(line);
        const retry = new Promise<void>((resolve) => setTimeout(resolve, retryMs));
        await Promise.race([watched, retry]);
        if (settled) {
            return settled.value;
        }
        if (Date.now() >= end) {
            throw new Error(`'${line}' sent for ${ms} ms: the awaited event never came`);
        }
    }
}

/** Calls `check` every `intervalMs` until it returns a value other than undefined, or `ms` pass. */
export async function pollUntil<V>(ms: number, what: string, check: () => V | undefined, intervalMs = 25): Promise<V> {
    const end = Date.now() + ms;
    for (;;) {
        const v = check();
        if (v !== undefined) {
            return v;
        }
        if (Date.now() >= end) {
            throw new Error(`${what}: not within ${ms} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

// ---- listening, seen in /proc (never by connecting: a connect+close after the greeting wedges ptvsd)

function listeningInodes(port: number): Set<string> {
    const inodes = new Set<string>();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
        let text = '';
        try {
            text = fs.readFileSync(file, 'utf8');
        } catch {
            continue;
        }
        for (const line of text.split('\n').slice(1)) {
            const f = line.trim().split(/\s+/);
            if (f.length < 10) {
                continue;
            }
            const localPort = parseInt(f[1].split(':').pop() ?? '', 16);
            if (localPort === port && f[3] === '0A') {
                inodes.add(f[9]);
            }
        }
    }
    return inodes;
}

function socketInodesOf(pid: number): Set<string> {
    const inodes = new Set<string>();
    let fds: string[] = [];
    try {
        fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
        return inodes;
    }
    for (const fd of fds) {
        try {
            const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
            if (m) {
                inodes.add(m[1]);
            }
        } catch {
            // closed in between
        }
    }
    return inodes;
}

/** True if process `pid` itself holds a socket listening on `port`. */
export function listeningBy(pid: number, port: number): boolean {
    const listening = listeningInodes(port);
    if (listening.size === 0) {
        return false;
    }
    const mine = socketInodesOf(pid);
    return [...listening].some((inode) => mine.has(inode));
}

/** Pids of the processes whose environment holds `NAME=value`. */
export function pidsWithEnv(name: string, value: string): number[] {
    const needle = `${name}=${value}`;
    const pids: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        try {
            const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
            if (env.split('\0').includes(needle)) {
                pids.push(Number(entry));
            }
        } catch {
            // gone, or a kernel thread
        }
    }
    return pids;
}

// ---- output capture

/** What a process writes, with waits for text after the previous match. */
export class Output {
    private text = '';
    private from = 0;
    private ended = 0;
    private listeners = new Set<() => void>();

    constructor(private readonly streams: Readable[]) {
        for (const s of streams) {
            s.setEncoding('utf8');
            s.on('data', (chunk: string) => {
                this.text += chunk;
                this.notify();
            });
            s.on('close', () => {
                this.ended += 1;
                this.notify();
            });
        }
    }

    private notify(): void {
        for (const l of [...this.listeners]) {
            l();
        }
    }

    all(): string {
        return this.text;
    }

    tail(chars = 3000): string {
        return this.text.length <= chars ? this.text : '…' + this.text.slice(-chars);
    }

    /** Resolves once `needle` appears after the previous match; rejects at the deadline or at EOF. */
    wait(needle: string, ms: number, what: string): Promise<void> {
        return new Promise((resolve, reject) => {
            const done = (error?: Error): void => {
                clearTimeout(timer);
                this.listeners.delete(check);
                if (error) {
                    reject(error);
                } else {
                    resolve();
                }
            };
            const check = (): void => {
                const at = this.text.indexOf(needle, this.from);
                if (at >= 0) {
                    this.from = at + needle.length;
                    done();
                } else if (this.ended >= this.streams.length) {
                    done(new Error(`${what}: ${JSON.stringify(needle)} never came (stream closed)`));
                }
            };
            const timer = setTimeout(() => done(new Error(`${what}: no ${JSON.stringify(needle)} within ${ms} ms`)), ms);
            this.listeners.add(check);
            check();
        });
    }
}

// ---- processes

const groups = new Set<number>();

function killAllGroups(): void {
    for (const pgid of groups) {
        try {
            process.kill(-pgid, 'SIGKILL');
        } catch {
            // already gone
        }
    }
    groups.clear();
}

process.on('exit', killAllGroups);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
        killAllGroups();
        process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
    });
}

export interface Exit {
    code: number | null;
    signal: NodeJS.Signals | null;
}

/** A child process with its output captured. `group`: in its own process group, killed whole. */
export class Spawned {
    readonly child: ChildProcess;
    readonly stdout: Output;
    readonly stderr: Output;
    readonly exited: Promise<Exit>;
    exit: Exit | undefined;
    spawnError: Error | undefined;

    constructor(
        readonly command: string,
        args: string[],
        options: SpawnOptions,
        private readonly group: boolean,
        captureStdout = true,
    ) {
        this.child = spawn(command, args, { ...options, detached: group, stdio: ['pipe', 'pipe', 'pipe'] });
        if (group && this.child.pid !== undefined) {
            groups.add(this.child.pid);
        }
        // A DAP adapter's stdout is bytes for the protocol reader: leave it alone then.
        this.stdout = new Output(captureStdout ? [this.child.stdout!] : []);
        this.stderr = new Output([this.child.stderr!]);
        this.exited = new Promise((resolve) => {
            this.child.on('error', (error) => {
                // Could not be started: report it as an exit, with the reason in `spawnError`.
                this.spawnError = error;
                this.exit = { code: -1, signal: null };
                resolve(this.exit);
            });
            this.child.on('exit', (code, signal) => {
                this.exit = { code, signal };
                resolve(this.exit);
            });
        });
    }

    get pid(): number {
        return this.child.pid ?? -1;
    }

    running(): boolean {
        return this.exit === undefined;
    }

    kill(): void {
        if (this.group && this.child.pid !== undefined) {
            try {
                process.kill(-this.child.pid, 'SIGKILL');
            } catch {
                // already gone
            }
            groups.delete(this.child.pid);
        } else if (this.running()) {
            this.child.kill('SIGKILL');
        }
    }

    /** Waits until this process listens on `port`; false if it exits first. */
    async waitListening(port: number, ms: number): Promise<boolean> {
        return pollUntil(ms, `${path.basename(this.command)} (pid ${this.pid}) listening on ${port}`, () => {
            if (listeningBy(this.pid, port)) {
                return true;
            }
            return this.running() ? undefined : false;
        });
    }
}

/** `python -u -m ptvsd --port P --interface 127.0.0.1 --secret S <app>` of one release (app.py by default). */
export class Debuggee {
    private constructor(
        readonly release: Release,
        readonly port: number,
        readonly secret: string,
        readonly proc: Spawned,
    ) {}

    static async start(release: Release, app: string = APP): Promise<Debuggee> {
        const python = path.join(testEnv(), `ptvsd-${release}`, 'bin', 'python');
        if (!fs.existsSync(python)) {
            throw new Error(`${python} is missing: run scripts/setup-test-env.sh`);
        }
        let last = '';
        for (let attempt = 0; attempt < 5; attempt++) {
            const port = await freePort();
            const secret = uniqueSecret();
            const proc = new Spawned(
                python,
                ['-u', '-m', 'ptvsd', '--port', String(port), '--interface', '127.0.0.1', '--secret', secret, app],
                { cwd: path.dirname(app), env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
                true,
            );
            if (await proc.waitListening(port, LISTEN)) {
                return new Debuggee(release, port, secret, proc);
            }
            await proc.exited;
            last = proc.stderr.tail(2000);
            proc.kill();
            if (!last.includes('Address already in use')) {
                throw new Error(`ptvsd ${release} exited before it listened:\n${last}`);
            }
        }
        throw new Error(`ptvsd ${release} found no free port in 5 tries:\n${last}`);
    }

    send(line: string): void {
        this.proc.child.stdin!.write(line + '\n');
    }

    /** Waits for `done <command>` (after the previous match). */
    done(command: string, ms = T): Promise<void> {
        return this.proc.stdout.wait(`done ${command}\n`, ms, `ptvsd ${this.release} debuggee`);
    }

    describe(): string {
        return (
            `[debuggee: ptvsd ${this.release}, pid ${this.proc.pid}, port ${this.port}, ` +
            `${this.proc.running() ? 'running' : `exited ${JSON.stringify(this.proc.exit)}`}]\n` +
            `--- debuggee stdout ---\n${this.proc.stdout.tail()}\n--- debuggee stderr ---\n${this.proc.stderr.tail()}`
        );
    }

    stop(): void {
        this.proc.kill();
    }
}

/** `websockify 127.0.0.1:W 127.0.0.1:<target>`: the App Service proxy's role, in front of ptvsd. */
export class Relay {
    private constructor(
        readonly port: number,
        readonly proc: Spawned,
    ) {}

    static async start(targetPort: number): Promise<Relay> {
        const exe = path.join(testEnv(), 'tools', 'bin', 'websockify');
        if (!fs.existsSync(exe)) {
            throw new Error(`${exe} is missing: run scripts/setup-test-env.sh`);
        }
        let last = '';
        for (let attempt = 0; attempt < 5; attempt++) {
            const port = await freePort();
            const proc = new Spawned(exe, [`127.0.0.1:${port}`, `127.0.0.1:${targetPort}`], { stdio: 'pipe' }, true);
            if (await proc.waitListening(port, LISTEN)) {
                return new Relay(port, proc);
            }
            await proc.exited;
            last = proc.stdout.tail(1000) + proc.stderr.tail(1000);
            proc.kill();
            if (!last.includes('in use')) {
                throw new Error(`websockify exited before it listened:\n${last}`);
            }
        }
        throw new Error(`websockify found no free port in 5 tries:\n${last}`);
    }

    url(secret: string): string {
        return `ws://${secret}@127.0.0.1:${this.port}/ptvsd`;
    }

    describe(): string {
        return `--- websockify output ---\n${this.proc.stdout.tail(1500)}${this.proc.stderr.tail(1500)}`;
    }

    stop(): void {
        this.proc.kill();
    }
}
