// Finding the ptvsd-dap binary: the `ptvsd-dap.path` setting, else the binary bundled in this
// platform-specific package (`bin/ptvsd-dap[.exe]`), else `ptvsd-dap` on PATH.
// Free of the `vscode` module so that it runs (and is tested) under plain node.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const DEBUG_TYPE = 'ptvsd-remote';
export const ADAPTER_NAME = 'ptvsd-dap';
export const SETTING_PATH = 'ptvsd-dap.path';

export interface Lookup {
    /** The `ptvsd-dap.path` setting ('' or undefined: look on PATH). */
    configured?: string;
    /** The folder a relative `configured` path is taken from (the workspace folder). */
    baseDir?: string;
    /** Where a platform-specific package holds its binary ([bundledAdapter]); absent in others. */
    bundled?: string;
    /** PATH of the extension host. */
    envPath?: string;
    /** PATHEXT of the extension host (Windows). */
    pathExt?: string;
    platform?: NodeJS.Platform;
    home?: string;
    isExecutable?: (file: string) => boolean;
}

export interface Found {
    path: string;
    from: 'setting' | 'bundled' | 'PATH';
}

/** The adapter cannot be found; the message says what to do. */
export class AdapterNotFound extends Error {}

export function defaultIsExecutable(file: string): boolean {
    try {
        if (!fs.statSync(file).isFile()) {
            return false;
        }
        if (process.platform !== 'win32') {
            fs.accessSync(file, fs.constants.X_OK);
        }
        return true;
    } catch {
        return false;
    }
}

/** Where a platform-specific package of the extension holds the adapter (scripts/dist.sh puts it there). */
export function bundledAdapter(extensionDir: string, platform: NodeJS.Platform = process.platform): string {
    const p = platform === 'win32' ? path.win32 : path.posix;
    return p.join(extensionDir, 'bin', platform === 'win32' ? `${ADAPTER_NAME}.exe` : ADAPTER_NAME);
}

/** `~` and `~/...` are the home directory. */
export function expandHome(text: string, home: string): string {
    if (text === '~') {
        return home;
    }
    if (text.startsWith('~/') || text.startsWith('~\\')) {
        return path.join(home, text.slice(2));
    }
    return text;
}

/** Candidate file names for `name` in one folder (PATHEXT on Windows). */
function candidates(dir: string, name: string, platform: NodeJS.Platform, pathExt: string): string[] {
    const p = platform === 'win32' ? path.win32 : path.posix;
    if (platform !== 'win32' || p.extname(name) !== '') {
        return [p.join(dir, name)];
    }
    const exts = pathExt.split(';').filter((e) => e !== '');
    return exts.map((e) => p.join(dir, name + e.toLowerCase()));
}

function searchPath(name: string, l: Required<Omit<Lookup, 'configured' | 'baseDir' | 'bundled'>>): string | undefined {
    const sep = l.platform === 'win32' ? ';' : ':';
    for (const dir of l.envPath.split(sep)) {
        if (dir === '') {
            continue; // an empty entry would mean the current directory: never trusted here
        }
        for (const file of candidates(dir, name, l.platform, l.pathExt)) {
            if (l.isExecutable(file)) {
                return file;
            }
        }
    }
    return undefined;
}

export function findAdapter(lookup: Lookup): Found {
    const l = {
        envPath: lookup.envPath ?? process.env.PATH ?? '',
        pathExt: lookup.pathExt ?? process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD',
        platform: lookup.platform ?? process.platform,
        home: lookup.home ?? os.homedir(),
        isExecutable: lookup.isExecutable ?? defaultIsExecutable,
    };
    const p = l.platform === 'win32' ? path.win32 : path.posix;
    const configured = (lookup.configured ?? '').trim();
    if (configured !== '') {
        const expanded = expandHome(configured, l.home);
        if (!/[\\/]/.test(expanded)) {
            // A bare name: look it up on PATH like the default.
            const onPath = searchPath(expanded, l);
            if (onPath !== undefined) {
                return { path: onPath, from: 'setting' };
            }
            throw new AdapterNotFound(
                `The ${SETTING_PATH} setting names '${configured}', which is not on PATH. ` +
                    `Set ${SETTING_PATH} to the full path of the ptvsd-dap binary.`,
            );
        }
        let file = expanded;
        if (!p.isAbsolute(file)) {
            if (lookup.baseDir === undefined) {
                throw new AdapterNotFound(
                    `The ${SETTING_PATH} setting '${configured}' is a relative path and there is no workspace folder to ` +
                        `take it from. Use an absolute path.`,
                );
            }
            file = p.resolve(lookup.baseDir, file);
        }
        if (!l.isExecutable(file)) {
            throw new AdapterNotFound(
                `The ${SETTING_PATH} setting points to '${file}', which is not an executable file. ` +
                    `Fix the setting, or clear it to use ptvsd-dap from PATH.`,
            );
        }
        return { path: file, from: 'setting' };
    }
    if (lookup.bundled !== undefined && fs.existsSync(lookup.bundled)) {
        if (!l.isExecutable(lookup.bundled)) {
            throw new AdapterNotFound(
                `The ptvsd-dap binary bundled with the extension, '${lookup.bundled}', is not an executable file. ` +
                    `Reinstall the extension, or set ${SETTING_PATH} to a ptvsd-dap binary.`,
            );
        }
        return { path: lookup.bundled, from: 'bundled' };
    }
    const onPath = searchPath(ADAPTER_NAME, l);
    if (onPath !== undefined) {
        return { path: onPath, from: 'PATH' };
    }
    throw new AdapterNotFound(
        `Cannot find the ptvsd-dap debug adapter: this package of the extension has no binary for ${l.platform}-${process.arch}, ` +
            `it is not on PATH and the ${SETTING_PATH} setting is empty. Install the extension's package for your ` +
            `platform (ptvsd-dap-<platform>.vsix), or put ptvsd-dap on PATH (cargo install --path . in the ptvsd-dap ` +
            `repository), or set ${SETTING_PATH} to the binary.`,
    );
}

/** The adapter's command-line arguments for the log settings (none by default). */
export function adapterArgs(logFile: string | undefined, logLevel: string | undefined, home: string = os.homedir()): string[] {
    const file = (logFile ?? '').trim();
    if (file === '') {
        return [];
    }
    const args = ['--log-file', expandHome(file, home)];
    const level = (logLevel ?? '').trim();
    if (level !== '') {
        args.push('--log-level', level);
    }
    return args;
}
