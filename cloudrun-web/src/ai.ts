/**
 * The AI Assistant panel: asks the server's /api/ai/assist to fix or explain an error, explain the
 * code or optimise it, shows the streamed reply as sanitised Markdown, and offers a proposed program
 * in Monaco's diff editor to accept (one undoable edit) or revert.
 */
import { ApiError } from './api';
import { append, clear, h } from './dom';
import type { Monaco } from './editor';
import type * as MonacoTypes from 'monaco-editor/esm/vs/editor/editor.api.js';
import { renderMarkdown } from './markdown';
import type { RunResult } from './protocol';
import { SseParser } from './sse';

export type AiAction = 'fix_error' | 'explain_error' | 'explain_code' | 'optimize';

/** The most of the last run's error and output sent along (the tail: where the error usually is). */
export const AI_OUTPUT_CAP = 16 * 1024;

interface ProviderStatus { name: string; model?: string; configured?: boolean; state?: string }
interface AiStatus { enabled: boolean; configured: boolean; message?: string; providers?: ProviderStatus[] }

/** What the panel needs from the workbench. */
export interface AiHost {
  token(): string | null;
  monaco(): Monaco | null;
  editor(): MonacoTypes.editor.IStandaloneCodeEditor | null;
  /** The language id of the code in the editor (python, javascript, ...). */
  language(): string | null;
  theme(): 'dark' | 'light';
  onSessionExpired(): void;
}

/** The last run's result and output, kept for the assistant. */
export class RunRecord {
  result: RunResult | null = null;
  stdout = '';
  stderr = '';

  start(): void {
    this.result = null;
    this.stdout = '';
    this.stderr = '';
  }

  output(stream: string, data: string): void {
    if (stream === 'stderr' || stream === 'compiler') this.stderr = tail(this.stderr + data, AI_OUTPUT_CAP * 2);
    else this.stdout = tail(this.stdout + data, AI_OUTPUT_CAP * 2);
  }

  get failed(): boolean {
    return this.result !== null && this.result.status !== 'OK';
  }

  /**
   * The error text sent to the assistant: the status line, the server's message and stderr (or, in
   * terminal mode, where stderr is part of the one stream, the output).
   */
  errorText(): string {
    if (!this.result) return '';
    const head = [`Run status: ${this.result.status}${this.result.exitCode !== null ? ` (exit code ${this.result.exitCode})` : ''}`,
      this.result.message ?? ''].filter(Boolean).join('\n');
    return tail(`${head}\n${this.stderr || this.stdout}`, AI_OUTPUT_CAP);
  }
}

/** The last `max` characters of text, cut at a character boundary (UTF-8 bytes may be up to 4 a character). */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(text.length - max);
}

/** Caps a text to at most `bytes` UTF-8 bytes, keeping its end. */
export function tailBytes(text: string, bytes: number): string {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= bytes) return text;
  return new TextDecoder().decode(encoded.slice(encoded.length - bytes)).replace(/^\uFFFD+/, '');
}

const ACTIONS: Array<{ action: AiAction; label: string; needsError: boolean; title: string }> = [
  { action: 'fix_error', label: 'Fix Error', needsError: true, title: 'Explain the last run\'s error and propose a corrected program' },
  { action: 'explain_error', label: 'Explain Error', needsError: true, title: 'Explain the last run\'s error' },
  { action: 'explain_code', label: 'Explain Code', needsError: false, title: 'Explain what the code in the editor does' },
  { action: 'optimize', label: 'Optimize', needsError: false, title: 'Suggest improvements and propose an optimised program' },
];

const PROVIDER_NAMES: Record<string, string> = { groq: 'Groq', gemini: 'Google Gemini', generic: 'an OpenAI-compatible endpoint' };

export class AiPanel {
  readonly run = new RunRecord();
  private status: AiStatus | null = null;
  private statusLoading: Promise<void> | null = null;
  private busy: AbortController | null = null;
  private readonly buttons = new Map<AiAction, HTMLButtonElement>();
  private readonly header = h('div', { class: 'ai-header' });
  private readonly stopButton = h('button', { class: 'button secondary ai-stop', type: 'button', 'data-ai-action': 'stop', text: 'Stop', hidden: true,
    title: 'Stop the answer (what arrived so far stays)', onclick: () => this.busy?.abort() });
  private readonly notice = h('div', { class: 'ai-notice', 'data-testid': 'ai-notice' });
  private readonly reply = h('div', { class: 'ai-reply', 'data-testid': 'ai-reply', 'aria-live': 'polite' });
  private readonly replyStatus = h('div', { class: 'ai-reply-status', 'data-testid': 'ai-reply-status' });
  private readonly diffHost = h('div', { class: 'ai-diff-editor' });
  private readonly diffActions = h('div', { class: 'ai-diff-actions' });
  private readonly diffPane = h('div', { class: 'ai-diff', 'data-testid': 'ai-diff', hidden: true },
    h('div', { class: 'ai-diff-title' }, h('span', { text: 'Proposed change: your code → the assistant\'s program' }), this.diffActions),
    this.diffHost);
  private diffEditor: MonacoTypes.editor.IStandaloneDiffEditor | null = null;
  private diffModels: MonacoTypes.editor.ITextModel[] = [];

  constructor(private readonly root: HTMLElement, private readonly host: AiHost) {
    root.classList.add('ai-panel');
    root.dataset.state = 'loading';
    for (const { action, label, title } of ACTIONS) {
      const button = h('button', { class: 'button secondary ai-action', type: 'button', 'data-ai-action': action, text: label, title, disabled: true,
        onclick: () => void this.ask(action) });
      this.buttons.set(action, button);
    }
    root.replaceChildren(
      h('div', { class: 'ai-main' }, this.header, this.notice, this.replyStatus, this.reply),
      this.diffPane);
    this.header.append(h('div', { class: 'ai-buttons' }, ...this.buttons.values(), this.stopButton));
    this.notice.textContent = 'Checking whether the AI assistant is available…';
    // Loaded up front so the panel is ready when first opened; every opening refreshes it.
    this.refreshStatus();
  }

  private refreshStatus(): void {
    if (!this.statusLoading) this.statusLoading = this.loadStatus().finally(() => { this.statusLoading = null; });
  }

  /** Whether the server's assistant can answer (configured and turned on), once its status has loaded. */
  async available(): Promise<boolean> {
    if (!this.status) {
      this.refreshStatus();
      await this.statusLoading;
    }
    return !!this.status && this.status.enabled && this.status.configured;
  }

  /** The tab was opened: refresh the server's status (configured, enabled, which provider). */
  opened(): void {
    this.refreshStatus();
    this.updateButtons();
    this.diffEditor?.layout();
  }

  runStarted(): void {
    this.run.start();
    this.updateButtons();
  }

  runFinished(result: RunResult): void {
    this.run.result = result;
    this.updateButtons();
  }

  private async loadStatus(): Promise<void> {
    try {
      const response = await fetch('/api/ai/status', { headers: this.authHeaders() });
      if (response.status === 401) this.host.onSessionExpired();
      if (!response.ok) throw await errorOf(response);
      this.status = await response.json() as AiStatus;
    } catch (problem) {
      if (this.status) return; // keep what was shown; the next opening tries again
      this.root.dataset.state = 'error';
      this.notice.replaceChildren(h('strong', { text: 'The AI assistant\'s status could not be loaded. ' }),
        document.createTextNode(problem instanceof Error ? problem.message : String(problem)));
      return;
    }
    this.renderStatus();
  }

  private renderStatus(): void {
    const status = this.status!;
    const usable = status.enabled && status.configured;
    this.root.dataset.state = usable ? 'ready' : status.enabled ? 'not-configured' : 'disabled';
    if (!usable) {
      const title = status.enabled ? 'The AI assistant is not configured on this server.' : 'The AI assistant is turned off on this server.';
      this.notice.replaceChildren();
      append(this.notice,
        h('div', { class: 'placeholder-title', text: title }),
        status.message ? h('p', { class: 'ai-server-message', text: `The server says: ${status.message}.` }) : null,
        status.enabled
          ? h('p', {}, 'To turn it on, the operator sets one of ', h('code', { text: 'GROQ_API_KEY' }), ', ', h('code', { text: 'GEMINI_API_KEY' }),
            ' or ', h('code', { text: 'CLOUDRUN_AI_BASE_URL' }), ' (with ', h('code', { text: 'CLOUDRUN_AI_MODEL' }),
            ' for any OpenAI-compatible endpoint such as Ollama) and restarts the server, for example ',
            h('code', { text: 'GROQ_API_KEY=gsk_... ./cloudrun serve' }), '.')
          : h('p', { text: 'The operator has set CLOUDRUN_AI_ENABLED=false.' }));
    } else {
      const provider = (status.providers ?? []).find((candidate) => candidate.configured && candidate.state !== 'not_in_order')
        ?? (status.providers ?? []).find((candidate) => candidate.configured);
      const name = provider ? `${PROVIDER_NAMES[provider.name] ?? provider.name}${provider.model ? ` (${provider.model})` : ''}` : 'the configured AI provider';
      this.notice.replaceChildren(h('span', { class: 'ai-privacy',
        text: `Your code and the last run's output are sent to ${name} when you use these buttons.` }));
    }
    this.updateButtons();
  }

  private updateButtons(): void {
    this.stopButton.hidden = this.busy === null;
    const usable = !!this.status && this.status.enabled && this.status.configured;
    for (const { action, needsError } of ACTIONS) {
      const button = this.buttons.get(action)!;
      button.disabled = !usable || this.busy !== null || (needsError && !this.run.failed);
      if (needsError && usable && !this.run.failed) button.title = 'Available after a run that failed';
      else button.title = ACTIONS.find((item) => item.action === action)!.title;
    }
  }

  private authHeaders(): Record<string, string> {
    const token = this.host.token();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /** Sends one request and streams the answer into the panel. */
  async ask(action: AiAction): Promise<void> {
    const editor = this.host.editor();
    const model = editor?.getModel();
    if (!editor || !model || this.busy) return;
    const original = model.getValue();
    const language = this.host.language() ?? model.getLanguageId();
    const body: Record<string, string> = { action, language, code: original };
    if (this.run.result) {
      const error = tailBytes(this.run.errorText(), AI_OUTPUT_CAP);
      const output = tailBytes(this.run.stdout, AI_OUTPUT_CAP);
      if (error.trim()) body.error = error;
      if (output) body.output = output;
    }
    this.closeDiff();
    const controller = new AbortController();
    this.busy = controller;
    this.updateButtons();
    this.root.dataset.reply = 'streaming';
    this.setReplyStatus(`Asking the assistant (${ACTIONS.find((item) => item.action === action)!.label})…`, 'busy');
    let text = '';
    const show = () => this.reply.replaceChildren(renderMarkdown(text) as unknown as Node);
    show();
    try {
      const response = await fetch('/api/ai/assist', {
        method: 'POST',
        headers: { ...this.authHeaders(), 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (response.status === 401) this.host.onSessionExpired();
      if (!response.ok || !response.body) throw await errorOf(response);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      let finished = false;
      const handle = (event: string, data: string) => {
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(data) as Record<string, unknown>;
        } catch {
          return;
        }
        if (event === 'start') {
          this.setReplyStatus(`${PROVIDER_NAMES[String(payload.provider)] ?? String(payload.provider)} is answering…`, 'busy');
        } else if (event === 'delta' && typeof payload.text === 'string') {
          text += payload.text;
          show();
        } else if (event === 'done') {
          finished = true;
          if (typeof payload.text === 'string') text = payload.text;
          show();
          this.setReplyStatus(`Answered by ${String(payload.provider ?? '')}${payload.model ? ` (${String(payload.model)})` : ''}.`, 'done');
          if (typeof payload.code === 'string' && payload.code.trim() && (action === 'fix_error' || action === 'optimize')) {
            this.showDiff(model, original, payload.code);
          } else if (action === 'fix_error' || action === 'optimize') {
            this.setReplyStatus('The answer holds no complete program to apply.', 'done');
          }
        } else if (event === 'error') {
          finished = true;
          const error = payload.error as { message?: string } | undefined;
          this.setReplyStatus(`The answer broke off: ${error?.message ?? 'unknown error'}`, 'error');
        }
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) handle(event.event, event.data);
      }
      for (const event of parser.end()) handle(event.event, event.data);
      if (!finished) this.setReplyStatus('The connection closed before the answer was complete.', 'error');
    } catch (problem) {
      if (controller.signal.aborted) {
        this.setReplyStatus('Stopped; the answer is incomplete.', 'done');
        return;
      }
      this.setReplyStatus(problem instanceof Error ? problem.message : String(problem), 'error');
    } finally {
      if (this.busy === controller) this.busy = null;
      this.root.dataset.reply = 'finished';
      this.updateButtons();
    }
  }

  private setReplyStatus(message: string, tone: 'busy' | 'done' | 'error'): void {
    this.replyStatus.textContent = message;
    this.replyStatus.className = `ai-reply-status ${tone}`;
    this.replyStatus.setAttribute('role', tone === 'error' ? 'alert' : 'status');
  }

  private showDiff(target: MonacoTypes.editor.ITextModel, original: string, proposed: string): void {
    const monaco = this.host.monaco();
    if (!monaco) return;
    this.closeDiff();
    this.diffPane.hidden = false;
    this.root.classList.add('with-diff');
    const originalModel = monaco.editor.createModel(original, target.getLanguageId());
    const proposedModel = monaco.editor.createModel(proposed, target.getLanguageId());
    this.diffModels = [originalModel, proposedModel];
    this.diffEditor = monaco.editor.createDiffEditor(this.diffHost, {
      automaticLayout: true, readOnly: true, originalEditable: false, renderSideBySide: true, minimap: { enabled: false },
      scrollBeyondLastLine: false, theme: this.host.theme() === 'dark' ? 'vs-dark' : 'vs', fontSize: 13, renderOverviewRuler: false,
    });
    this.diffEditor.setModel({ original: originalModel, modified: proposedModel });
    const accept = h('button', { class: 'button primary', type: 'button', 'data-ai-diff': 'accept', text: 'Accept',
      title: 'Replace the code in the editor with the proposal (Ctrl/Cmd+Z undoes it)' });
    const revert = h('button', { class: 'button secondary', type: 'button', 'data-ai-diff': 'revert', text: 'Revert',
      title: 'Close the proposal and keep your code' });
    accept.addEventListener('click', () => {
      const editor = this.host.editor();
      if (!editor || editor.getModel() !== target || target.isDisposed()) {
        this.setReplyStatus('Open the file the proposal was made for, then accept it.', 'error');
        return;
      }
      editor.pushUndoStop();
      editor.executeEdits('cloudrun-ai', [{ range: target.getFullModelRange(), text: proposed }]);
      editor.pushUndoStop();
      editor.focus();
      this.setReplyStatus('Applied to the editor. Ctrl/Cmd+Z in the editor (or Undo here) restores your code.', 'done');
      this.root.dataset.applied = 'true';
      const undo = h('button', { class: 'button secondary', type: 'button', 'data-ai-diff': 'undo', text: 'Undo',
        title: 'Restore the code as it was before accepting', onclick: () => {
          const current = this.host.editor();
          if (current && current.getModel() === target) {
            current.focus();
            current.trigger('cloudrun-ai', 'undo', null);
          }
          this.closeDiff();
          this.setReplyStatus('Your code is back as it was.', 'done');
        } });
      const close = h('button', { class: 'button secondary', type: 'button', 'data-ai-diff': 'close', text: 'Close', onclick: () => this.closeDiff() });
      this.diffActions.replaceChildren(undo, close);
    });
    revert.addEventListener('click', () => {
      this.closeDiff();
      this.setReplyStatus('Proposal dismissed; your code is unchanged.', 'done');
    });
    this.diffActions.replaceChildren(accept, revert);
  }

  private closeDiff(): void {
    this.diffEditor?.dispose();
    this.diffEditor = null;
    for (const model of this.diffModels) model.dispose();
    this.diffModels = [];
    clear(this.diffHost);
    clear(this.diffActions);
    this.diffPane.hidden = true;
    this.root.classList.remove('with-diff');
    delete this.root.dataset.applied;
  }

  dispose(): void {
    const busy = this.busy;
    this.busy = null;
    busy?.abort();
    this.closeDiff();
  }
}

/** A readable message for an error answer (JSON `{"error": {code, message}}`) instead of the stream. */
export function describeAiError(status: number, code: string | null, message: string | null, retryAfter: string | null): string {
  const explain: Record<string, string> = {
    ai_not_configured: 'The AI assistant is not configured on this server',
    ai_disabled: 'The AI assistant is turned off on this server',
    ai_quota_exceeded: 'You have used up your AI requests for now',
    ai_concurrent_limit: 'You already have AI requests in progress',
    ai_busy: 'The AI assistant is busy',
    ai_unavailable: 'No AI provider could answer',
  };
  if (status === 401) return 'Your session has expired; sign in again.';
  const detail = message ?? `The server answered HTTP ${status}`;
  let text = code && explain[code] ? `${explain[code]}: ${detail}` : detail;
  if (status === 429 && retryAfter) text += ` (try again in ${retryAfter} s)`;
  return text;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code: string | null = null;
  let message: string | null = null;
  try {
    const error = (await response.json())?.error;
    if (error) {
      code = typeof error.code === 'string' ? error.code : null;
      message = typeof error.message === 'string' ? error.message : null;
    }
  } catch {
    // not JSON
  }
  return new ApiError(response.status, code ?? `http_${response.status}`,
    describeAiError(response.status, code, message, response.headers.get('Retry-After')));
}
