// code-server (VS Code served to a browser) for the UI test: a fresh user data dir and extensions
// dir, the extensions under test installed with its own CLI, loopback only, no authentication.

import * as fs from 'fs';
import * as path from 'path';
import { Spawned, within } from '../test/harness';

/** How long code-server may take to install an extension or to start listening. */
const START = 60_000;

export interface CodeServerOptions {
    /** The folder install.sh printed (its node_modules holds code-server). */
    installDir: string;
    /** A folder of its own: user data, extensions, config. */
    home: string;
    /** User settings (User/settings.json). */
    settings: Record<string, unknown>;
    /** Packages to install before it starts. */
    vsixes: string[];
    /** The environment of code-server and so of its extension host and the adapters it starts. */
    env: NodeJS.ProcessEnv;
}

export class CodeServer {
    private constructor(
        readonly url: string,
        readonly proc: Spawned,
        readonly userSettingsFile: string,
    ) {}

    static async start(options: CodeServerOptions): Promise<CodeServer> {
        const entry = path.join(options.installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
        const userData = path.join(options.home, 'user-data');
        const extensions = path.join(options.home, 'extensions');
        const config = path.join(options.home, 'config.yaml');
        const settingsFile = path.join(userData, 'User', 'settings.json');
        fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
        fs.mkdirSync(extensions, { recursive: true });
        fs.writeFileSync(config, '');
        fs.writeFileSync(settingsFile, JSON.stringify(options.settings, null, 2));
        // XDG_CONFIG_HOME: code-server writes a default config file there when none is given.
        const env = { ...options.env, XDG_CONFIG_HOME: path.join(options.home, 'xdg') };
        const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];

        for (const vsix of options.vsixes) {
            const install = new Spawned(process.execPath, [entry, ...common, '--install-extension', vsix], { env }, true);
            const exit = await within(install.exited, START, `code-server --install-extension ${vsix}`);
            if (exit.code !== 0) {
                throw new Error(
                    `code-server --install-extension ${vsix} failed (${JSON.stringify(exit)}):\n` +
                        install.stdout.tail(2000) +
                        install.stderr.tail(2000),
                );
            }
        }

        const proc = new Spawned(
            process.execPath,
            [
                entry,
                ...common,
                '--auth',
                'none',
                '--bind-addr',
                '127.0.0.1:0',
                '--disable-telemetry',
                '--disable-update-check',
                '--disable-workspace-trust',
                '--disable-getting-started-override',
            ],
            { env },
            true,
        );
        // The port is the one the OS gave: code-server prints it.
        await proc.stdout.wait('HTTP server listening on http://127.0.0.1:', START, 'code-server').catch((error: Error) => {
            proc.kill();
            throw new Error(`${error.message}\n${proc.stdout.tail(2000)}${proc.stderr.tail(2000)}`);
        });
        const port = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(proc.stdout.all());
        if (!port) {
            proc.kill();
            throw new Error(`code-server did not say its port:\n${proc.stdout.tail(2000)}`);
        }
        return new CodeServer(`http://127.0.0.1:${port[1]}`, proc, settingsFile);
    }

    /** The workbench of `folder`. */
    folderUrl(folder: string): string {
        return `${this.url}/?folder=${encodeURIComponent(folder)}`;
    }

    describe(): string {
        return `--- code-server output ---\n${this.proc.stdout.tail(3000)}${this.proc.stderr.tail(3000)}`;
    }

    stop(): void {
        this.proc.kill();
    }
}
