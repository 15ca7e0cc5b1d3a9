// The launch.json side: the schema VS Code builds from package.json's configurationAttributes
// (as `Debugger.getSchemaAttributes` does: name/type/request added and required, no other keys
// allowed), configuration snippets turned into the text a user gets, and `${workspaceFolder}`.

import Ajv, { ValidateFunction } from 'ajv';
import * as fs from 'fs';
import * as path from 'path';

export const EXTENSION_DIR = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const manifest: Json = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8'));
export const debuggerContribution: Json = manifest.contributes.debuggers.find((d: Json) => d.type === 'ptvsd-remote');

/** The schema of one launch.json configuration of `request`, as VS Code builds it. */
export function configurationSchema(request = 'attach'): Json {
    const attributes = JSON.parse(JSON.stringify(debuggerContribution.configurationAttributes[request]));
    const defaultRequired = ['name', 'type', 'request'];
    attributes.required = attributes.required?.length ? defaultRequired.concat(attributes.required) : defaultRequired;
    attributes.additionalProperties = false;
    attributes.type = 'object';
    attributes.properties = attributes.properties ?? {};
    const p = attributes.properties;
    p.type = { enum: [debuggerContribution.type] };
    p.name = { type: 'string' };
    p.request = { enum: [request] };
    p.debugServer = { type: 'number' };
    p.preLaunchTask = { type: ['string', 'object', 'null'] };
    p.postDebugTask = { type: ['string', 'object', 'null'] };
    p.internalConsoleOptions = { enum: ['neverOpen', 'openOnSessionStart', 'openOnFirstSessionStart'] };
    p.presentation = { type: 'object' };
    const osProperties = JSON.parse(JSON.stringify(p));
    for (const os of ['windows', 'osx', 'linux']) {
        p[os] = { type: 'object', properties: osProperties };
    }
    return attributes;
}

let validator: ValidateFunction | undefined;

/** The schema errors of a launch.json configuration (empty when valid). */
export function configurationErrors(config: Json): string[] {
    if (!validator) {
        // VS Code's own keywords (enumDescriptions, markdownDescription, ...) are not JSON Schema.
        validator = new Ajv({ strict: false, allErrors: true }).compile(configurationSchema());
    }
    return validator(config) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/**
 * The configuration a snippet inserts, with each placeholder at its default (the first choice of a
 * choice), as VS Code turns a `configurationSnippets` body into snippet text: the body is
 * stringified, and a string value starting with `^` is inserted as raw JSON.
 */
export function snippetConfiguration(body: Json): Json {
    const json = JSON.stringify(body, null, 2).replace(/"\^((?:[^"\\]|\\.)*)"/g, (_, raw: string) => JSON.parse(`"${raw}"`));
    const text = expandSnippet(json);
    return JSON.parse(text);
}

/** TextMate snippet syntax → the text inserted when every placeholder keeps its default. */
export function expandSnippet(snippet: string): string {
    let out = '';
    let i = 0;
    while (i < snippet.length) {
        const c = snippet[i];
        if (c === '\\' && (snippet[i + 1] === '$' || snippet[i + 1] === '}' || snippet[i + 1] === '\\')) {
            out += snippet[i + 1];
            i += 2;
        } else if (c === '$' && snippet[i + 1] === '{') {
            const end = matchingBrace(snippet, i + 1);
            const inner = snippet.slice(i + 2, end);
            const choice = /^\d+\|([^,|]*)/.exec(inner);
            const placeholder = /^\d+:([\s\S]*)$/.exec(inner);
            if (choice) {
                out += choice[1];
            } else if (placeholder) {
                out += expandSnippet(placeholder[1]);
            } else if (/^\d+$/.test(inner)) {
                // a bare tab stop inserts nothing
            } else {
                throw new Error(`snippet variable \${${inner}} would be filled by VS Code: escape it as \\\${${inner}}`);
            }
            i = end + 1;
        } else {
            out += c;
            i += 1;
        }
    }
    return out;
}

function matchingBrace(text: string, open: number): number {
    let depth = 0;
    for (let i = open; i < text.length; i++) {
        if (text[i] === '\\') {
            i += 1;
        } else if (text[i] === '{') {
            depth += 1;
        } else if (text[i] === '}') {
            depth -= 1;
            if (depth === 0) {
                return i;
            }
        }
    }
    throw new Error(`unbalanced snippet: ${text}`);
}

/** Substitutes `${workspaceFolder}` in every string of a configuration, as VS Code does before `attach`. */
export function resolveVariables(config: Json, workspaceFolder: string): Json {
    return JSON.parse(JSON.stringify(config), (_key, value) =>
        typeof value === 'string' ? value.split('${workspaceFolder}').join(workspaceFolder) : value,
    );
}
