// The VS Code workbench in Chromium, driven as a user drives it (mouse and keys), read from its DOM.
// Every step saves a screenshot; a failing step names itself and its screenshot.

import * as fs from 'fs';
import * as path from 'path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

/** Waits for what the workbench shows after an action of ours or of the debuggee. */
export const UI = 30_000;

/** The tree views of the Run and Debug side bar, by their CSS class. */
export type DebugView = 'debug-variables' | 'debug-watch' | 'debug-call-stack' | 'debug-breakpoints';

export class Workbench {
    private stepIndex = 0;

    private constructor(
        private readonly context: BrowserContext,
        readonly page: Page,
        /** Screenshots and the log of this test go here. */
        readonly dir: string,
        private readonly log: (line: string) => void,
    ) {}

    /** A fresh browser context (no state from other tests) on the workbench of a folder. */
    static async open(browser: Browser, url: string, dir: string, log: (line: string) => void): Promise<Workbench> {
        fs.mkdirSync(dir, { recursive: true });
        const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        // The page-side helpers (functions handed to evaluate run in the page, not here).
        await context.addInitScript({ content: `globalThis.lineNumberElement = ${lineNumberElement.toString()};` });
        const page = await context.newPage();
        page.setDefaultTimeout(UI);
        const workbench = new Workbench(context, page, dir, log);
        await workbench.step('open the workbench', async () => {
            await page.goto(url);
            await page.locator('.monaco-workbench').waitFor();
            await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor();
        });
        return workbench;
    }

    async close(): Promise<void> {
        await this.context.close();
    }

    /** Runs one step: screenshot after it (also when it fails), and an error naming both. */
    async step<V>(name: string, action: () => Promise<V>): Promise<V> {
        this.stepIndex += 1;
        const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
        const shot = path.join(this.dir, `${String(this.stepIndex).padStart(2, '0')}-${slug}.png`);
        const started = Date.now();
        this.log(`step ${this.stepIndex}: ${name}`);
        try {
            const value = await action();
            await this.page.screenshot({ path: shot });
            this.log(`  ok in ${Date.now() - started} ms: ${shot}`);
            return value;
        } catch (error) {
            await this.page.screenshot({ path: shot }).catch(() => undefined);
            const message = error instanceof Error ? error.message : String(error);
            this.log(`  FAILED after ${Date.now() - started} ms: ${message}`);
            throw new Error(`step "${name}" failed: ${message}\n  screenshot: ${shot}`);
        }
    }

    /** Waits until `check` (run in the page, with `arg`) is true; the error says what was awaited. */
    async until<A>(what: string, check: (arg: A) => boolean, arg: A, ms = UI): Promise<void> {
        try {
            // Serialised into the page; its argument crosses as JSON.
            const inPage = check as (value: unknown) => boolean;
            await this.page.waitForFunction(inPage, arg as unknown, { timeout: ms, polling: 100 });
        } catch (error) {
            const reason = error instanceof Error && !error.message.includes('Timeout') ? ` (${error.message})` : '';
            throw new Error(`${what}: not within ${ms} ms${reason}`);
        }
    }

    // ---- editor

    /** Opens a workspace file with Quick Open (Ctrl+P). */
    async openFile(name: string): Promise<void> {
        await this.page.keyboard.press('Control+p');
        await this.page.locator('.quick-input-widget input').waitFor();
        await this.page.keyboard.type(name);
        await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
        await this.page.keyboard.press('Enter');
        await this.page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`).waitFor();
        await this.activeEditor().locator('.view-lines').waitFor();
    }

    /** Puts `line` in view, with Go to Line (Ctrl+G). */
    async revealLine(line: number): Promise<void> {
        await this.activeEditor().locator('.view-lines').click({ position: { x: 5, y: 5 } });
        await this.page.keyboard.press('Control+g');
        await this.page.locator('.quick-input-widget input').waitFor();
        await this.page.keyboard.type(String(line));
        await this.page.keyboard.press('Enter');
        await this.until('the line in view', (n) => lineNumberElement(n) !== undefined, line);
    }

    /** Clicks the glyph margin (the gutter left of the line numbers) of `line`. */
    async clickGutter(line: number): Promise<void> {
        await this.revealLine(line);
        const editor = this.activeEditor();
        const margin = await editor.locator('.glyph-margin').boundingBox();
        const number = await editor.locator('.margin-view-overlays .line-numbers', { hasText: new RegExp(`^${line}$`) }).boundingBox();
        if (!margin || !number) {
            throw new Error(`line ${line} or the glyph margin is not on screen`);
        }
        const x = margin.x + margin.width / 2;
        const y = number.y + number.height / 2;
        await this.page.mouse.move(x, y);
        await this.page.mouse.click(x, y);
    }

    /** Waits until the glyph margin shows `codicon` (debug-breakpoint, debug-stackframe) on `line`. */
    async waitGlyph(codicon: string, line: number, what: string): Promise<void> {
        await this.until(
            `${what}: the ${codicon} mark on line ${line}`,
            ([cls, n]) => {
                const editor = document.querySelector('.editor-instance .monaco-editor');
                const number = lineNumberElement(n as number);
                const top = number?.parentElement?.style.top;
                return (
                    top !== undefined &&
                    [...(editor?.querySelectorAll<HTMLElement>(`.glyph-margin-widgets .codicon-${cls}`) ?? [])].some((g) => g.style.top === top)
                );
            },
            [codicon, line] as const,
        );
    }

    /** Waits until the editor's current-statement highlight and marker are on `line`. */
    async waitStoppedAt(line: number): Promise<void> {
        await this.waitGlyph('debug-stackframe', line, 'the current-statement marker');
        await this.until(
            `the current-statement highlight on line ${line}`,
            (n) => {
                const decoration = document.querySelector<HTMLElement>('.editor-instance .view-overlays .debug-top-stack-frame-line');
                return decoration?.parentElement?.style.top === lineNumberElement(n)?.parentElement?.style.top;
            },
            line,
        );
    }

    /**
     * Waits until the program is stopped at an exception on `line`, then returns the text of the
     * exception widget. VS Code asks `exceptionInfo` when it focuses the top frame, but on a loaded
     * machine it was seen focusing the stop, fetching the stack twice and never asking, so no widget.
     * A user then clicks the top frame in CALL STACK; here the frame below it first, so the focus
     * surely changes and VS Code asks again.
     */
    async exceptionWidget(line: number): Promise<string> {
        await this.waitStoppedAt(line);
        const frames = '.debug-call-stack .monaco-list-row:not(.monaco-tree-sticky-row)[aria-label^="Stack Frame "]';
        await this.until('the raising frame and its caller in CALL STACK', (f) => document.querySelectorAll(f).length >= 2, frames);
        const shown = (): boolean => (document.querySelector('.exception-widget') as HTMLElement | null)?.offsetParent != null;
        if (!(await this.page.evaluate(shown))) {
            this.log('  no exception widget at the stop: clicking the caller, then the top frame, in CALL STACK');
            await this.page.locator(frames).nth(1).click();
            await this.page.locator(frames).nth(0).click();
        }
        await this.until('the exception widget', shown, null);
        return (await this.page.locator('.exception-widget').innerText()).trim();
    }

    /** Hovers `word` in `line` and returns what the debug hover shows. */
    async hover(line: number, word: string): Promise<string> {
        const box = await this.page.evaluate(
            ([n, w]) => {
                const top = lineNumberElement(n as number)?.parentElement?.style.top;
                const viewLine = [...document.querySelectorAll<HTMLElement>('.editor-instance .view-lines .view-line')].find(
                    (l) => l.style.top === top,
                );
                const walker = viewLine ? document.createTreeWalker(viewLine, NodeFilter.SHOW_TEXT) : undefined;
                for (let node = walker?.nextNode(); node; node = walker?.nextNode()) {
                    const at = (node.textContent ?? '').search(new RegExp(`\\b${w}\\b`));
                    if (at >= 0) {
                        const range = document.createRange();
                        range.setStart(node, at);
                        range.setEnd(node, at + (w as string).length);
                        const r = range.getBoundingClientRect();
                        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
                    }
                }
                return undefined;
            },
            [line, word] as const,
        );
        if (!box) {
            throw new Error(`'${word}' is not on line ${line}`);
        }
        // The mouse on the word, then Debug: Show Hover (Ctrl+K Ctrl+I): the hover VS Code shows
        // after the mouse rests there, without depending on how long it rests (mouse-only hovers
        // were seen evaluated but not shown on a loaded machine).
        await this.page.mouse.click(box.x, box.y);
        await this.page.keyboard.press('Control+k');
        await this.page.keyboard.press('Control+i');
        const widget = this.page.locator('.debug-hover-widget');
        await widget.waitFor();
        await this.until('the hover shows a value', () => (document.querySelector('.debug-hover-widget') as HTMLElement | null)?.innerText.trim() !== '', null);
        return (await widget.innerText()).trim();
    }

    private activeEditor(): Locator {
        return this.page.locator('.editor-instance .monaco-editor').first();
    }

    // ---- Run and Debug

    /** Opens Run and Debug (Ctrl+Shift+D), picks the configuration and clicks Start Debugging (F5). */
    async startDebugging(configuration: string): Promise<void> {
        await this.page.keyboard.press('Control+Shift+d');
        const select = this.page.locator('select[aria-label="Debug Launch Configurations"]');
        await select.selectOption({ label: configuration });
        // The button, not the key: right after the pick, the key can reach the list box instead.
        await this.page.locator('.start-debug-action-item .codicon-debug-start').click();
    }

    /** Waits for the debug toolbar; an error dialog instead fails with the dialog's text. */
    async waitToolbar(): Promise<void> {
        await this.page.locator('.debug-toolbar, .monaco-dialog-box').first().waitFor();
        if ((await this.page.locator('.monaco-dialog-box').count()) > 0) {
            throw new Error(`VS Code shows an error instead of the debug toolbar: ${await this.errorDialog()}`);
        }
    }

    async waitNoToolbar(what: string): Promise<void> {
        await this.until(what, () => document.querySelector('.debug-toolbar') === null || (document.querySelector('.debug-toolbar') as HTMLElement).offsetParent === null, null);
    }

    /** Clicks a debug toolbar button (continue, step-over, disconnect, ...) once it is enabled. */
    async toolbar(action: string): Promise<void> {
        const button = this.page.locator(`.debug-toolbar .action-item:not(.disabled) .codicon-debug-${action}`);
        await button.click();
    }

    /** The rows of a debug tree view that are rendered, as their accessible labels. */
    async rows(view: DebugView): Promise<string[]> {
        return this.page.evaluate(
            (v) =>
                [...document.querySelectorAll(`.${v} .monaco-list-row:not(.monaco-tree-sticky-row)`)].map((r) => r.getAttribute('aria-label') ?? ''),
            view,
        );
    }

    /** Waits for a row whose label starts with `prefix` (`name, value v` in VARIABLES and WATCH). */
    async waitRow(view: DebugView, prefix: string, what: string): Promise<void> {
        try {
            await this.until(
                `${what}: a row '${prefix}…' in ${view}`,
                ([v, p]) => [...document.querySelectorAll(`.${v} .monaco-list-row`)].some((r) => (r.getAttribute('aria-label') ?? '').startsWith(p)),
                [view, prefix] as const,
            );
        } catch (error) {
            const shown = (await this.rows(view)).map((r) => `'${r}'`).join(', ');
            throw new Error(`${(error as Error).message}; it shows: ${shown || 'nothing'}`);
        }
    }

    /** Scrolls the view with the mouse wheel, from its top, until the row is rendered (the lists are virtual). */
    async revealRow(view: DebugView, prefix: string): Promise<Locator> {
        const row = this.row(view, prefix);
        await this.scrollToTop(view);
        for (let attempt = 0; attempt < 200 && (await row.count()) === 0; attempt++) {
            await this.page.mouse.wheel(0, 200);
            await this.page.waitForTimeout(20);
        }
        if ((await row.count()) === 0) {
            throw new Error(`no row '${prefix}…' in ${view} after scrolling through it`);
        }
        return row;
    }

    /** Scrolls the view with the mouse wheel until its first row is rendered. */
    async scrollToTop(view: DebugView): Promise<void> {
        const list = await this.page.locator(`.${view} .monaco-list`).boundingBox();
        if (!list) {
            throw new Error(`${view} is not on screen`);
        }
        await this.page.mouse.move(list.x + list.width / 2, list.y + Math.min(40, list.height / 2));
        const first = this.page.locator(`.${view} .monaco-list-row[data-index="0"]`);
        for (let attempt = 0; attempt < 200 && (await first.count()) === 0; attempt++) {
            await this.page.mouse.wheel(0, -1000);
            await this.page.waitForTimeout(20);
        }
    }

    /** Expands a collapsed row, or collapses an expanded one, with its twistie. */
    async toggle(view: DebugView, prefix: string): Promise<void> {
        await this.row(view, prefix).locator('.monaco-tl-twistie').click();
    }

    private row(view: DebugView, prefix: string): Locator {
        return this.page.locator(`.${view} .monaco-list-row:not(.monaco-tree-sticky-row)[aria-label^="${cssString(prefix)}"]`).first();
    }

    /** Adds a WATCH expression with the view's Add Expression button. */
    async addWatch(expression: string): Promise<void> {
        const header = this.page.locator('.pane-header[aria-label^="Watch"]');
        await header.hover();
        await header.locator('.action-label[aria-label="Add Expression"]').click();
        await this.page.locator('.debug-watch .monaco-inputbox input, .debug-watch .monaco-inputbox textarea').first().waitFor();
        await this.page.keyboard.type(expression);
        await this.page.keyboard.press('Enter');
    }

    /** Ticks an exception filter in the BREAKPOINTS view. */
    async checkExceptionFilter(label: string): Promise<void> {
        await this.row('debug-breakpoints', label).locator('input[type=checkbox]').check();
    }

    // ---- DEBUG CONSOLE

    async waitConsole(text: string, what: string): Promise<void> {
        await this.until(
            `${what}: '${text}' in the DEBUG CONSOLE`,
            (t) => [...document.querySelectorAll('.repl .monaco-list-row')].some((r) => (r as HTMLElement).innerText.includes(t)),
            text,
        );
    }

    /** Types into the DEBUG CONSOLE's input (clearing it first). */
    async consoleType(text: string): Promise<void> {
        await this.page.locator('.repl-input-wrapper .monaco-editor').click();
        await this.page.keyboard.press('Control+a');
        await this.page.keyboard.press('Backspace');
        await this.page.keyboard.type(text);
    }

    /** Waits until the suggestion widget offers every label in `expected` (it refills at each keystroke). */
    async waitSuggestions(expected: string[]): Promise<void> {
        const offered = (): Promise<string[]> =>
            this.page.evaluate(() =>
                [...document.querySelectorAll('.repl-input-wrapper .suggest-widget.visible .monaco-list-row')].map((r) => (r.getAttribute('aria-label') ?? '').split(',')[0]),
            );
        try {
            await this.until(
                'the completions',
                (labels) => {
                    const shown = [...document.querySelectorAll('.repl-input-wrapper .suggest-widget.visible .monaco-list-row')].map((r) => (r.getAttribute('aria-label') ?? '').split(',')[0]);
                    return labels.every((l) => shown.includes(l));
                },
                expected,
            );
        } catch (error) {
            throw new Error(`${(error as Error).message}: expected ${expected.join(', ')}; offered: ${(await offered()).join(', ') || 'nothing'}`);
        }
    }

    // ---- settings

    /** Sets a string setting in the Settings editor's User tab (Ctrl+,), as a user does. */
    async setUserSetting(key: string, value: string): Promise<void> {
        await this.page.keyboard.press('Control+,');
        const editor = await this.userSettings();
        await editor.locator('.settings-header .suggest-input-container .monaco-editor').click();
        await this.page.keyboard.press('Control+a');
        await this.page.keyboard.type(key);
        await this.fillShownSetting(key, value);
    }

    /** Closes the Settings editor (its tab's close button). */
    async closeSettings(): Promise<void> {
        await this.page.locator('.tabs-container .tab.active .tab-actions .action-label').click();
        await this.page.locator('.settings-editor').waitFor({ state: 'detached' });
    }

    /** In the Settings editor (however it was opened), the User tab, where the search found `key`: types `value` in. */
    async fillShownSetting(key: string, value: string): Promise<void> {
        const input = (await this.userSettings()).locator(`input[aria-label="${key}"]`);
        await input.waitFor();
        await input.fill(value);
        // The Settings editor writes the value once the input loses focus.
        await input.press('Tab');
    }

    private async userSettings(): Promise<Locator> {
        const editor = this.page.locator('.settings-editor');
        await editor.waitFor();
        await editor.locator('.settings-tabs-widget .action-label', { hasText: /^User$/ }).click();
        return editor;
    }

    // ---- errors

    /** The text of VS Code's error dialog, once shown; closes it. */
    async errorDialog(): Promise<string> {
        const dialog = this.page.locator('.monaco-dialog-box');
        await dialog.waitFor();
        return (await dialog.locator('.dialog-message-container').innerText()).trim();
    }

    /** The message of VS Code's notification that matches `pattern`, once shown. */
    async notification(pattern: RegExp): Promise<string> {
        const toast = this.notificationToast(pattern);
        await toast.waitFor();
        return (await toast.locator('.notification-list-item-message').innerText()).trim();
    }

    /** Clicks the button `label` of the notification that matches `pattern`. */
    async clickNotificationButton(pattern: RegExp, label: string): Promise<void> {
        await this.notificationToast(pattern).locator('.monaco-button', { hasText: label }).click();
    }

    private notificationToast(pattern: RegExp): Locator {
        return this.page.locator('.notifications-toasts .notification-toast', { hasText: pattern }).first();
    }

    async closeDialog(): Promise<void> {
        await this.page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Cancel' }).click();
        await this.page.locator('.monaco-dialog-box').waitFor({ state: 'detached' });
    }
}

/** In the page (installed by `open`): the line-number element of `line` in the active editor, if rendered. */
function lineNumberElement(line: number): HTMLElement | undefined {
    const editor = document.querySelector('.editor-instance .monaco-editor');
    return [...(editor?.querySelectorAll<HTMLElement>('.margin-view-overlays .line-numbers') ?? [])].find(
        (n) => n.textContent?.trim() === String(line),
    );
}

function cssString(text: string): string {
    return text.replace(/["\\]/g, '\\$&');
}
