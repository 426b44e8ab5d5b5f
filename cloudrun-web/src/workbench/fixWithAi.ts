/**
 * The "Fix with AI" button beside the terminal: after a run that failed because of the program
 * (it did not compile, crashed, ran out of time or memory) and when the server has an AI provider,
 * it opens the file to fix (the first error's, else the run's entry file), shows the AI Assistant
 * tab and asks it to fix the error; the proposal comes as the assistant's diff (Accept / Revert).
 */
import { h } from '../dom';
import type { RunResult } from '../protocol';

/** The statuses that the program's code caused (a stopped run or a server failure is not for the assistant). */
export const FIXABLE_STATUSES: readonly string[] = ['COMPILE_ERROR', 'RUNTIME_ERROR', 'TIME_LIMIT', 'MEMORY_LIMIT'];

/** Whether a finished run offers "Fix with AI". */
export function offersFix(result: RunResult, aiAvailable: boolean): boolean {
  return aiAvailable && FIXABLE_STATUSES.includes(result.status);
}

export interface FixWithAiHost {
  /** Whether the server has an AI provider configured and turned on (waits for its status once). */
  aiAvailable(): Promise<boolean>;
  /** The project file to fix: the first error's file, else the run's entry file. */
  target(): string | null;
  /** Opens the file in the editor (it becomes the code sent). */
  open(path: string): Promise<void>;
  /** Shows the AI Assistant tab. */
  showAssistant(): void;
  /** Sends the editor's code and the last run's error with a "fix" request. */
  askFix(): Promise<void>;
}

export class FixWithAi {
  readonly button = h('button', { class: 'button fix-with-ai', type: 'button', hidden: true, 'data-action': 'fix-with-ai',
    title: 'Send the code and the error to the AI assistant and review its proposed fix' });
  /** Which run the button belongs to: a later run's start (or result) wins over an earlier, slower status check. */
  private generation = 0;

  constructor(private readonly host: FixWithAiHost) {
    this.button.append(h('span', { class: 'fix-with-ai-mark', 'aria-hidden': 'true', text: '✦' }), h('span', { text: 'Fix with AI' }));
    this.button.addEventListener('click', () => void this.fix());
  }

  runStarted(): void {
    this.generation++;
    this.button.hidden = true;
  }

  async runFinished(result: RunResult): Promise<void> {
    const generation = ++this.generation;
    const available = FIXABLE_STATUSES.includes(result.status) && await this.host.aiAvailable();
    if (generation === this.generation) this.button.hidden = !offersFix(result, available);
  }

  /** Hides the button (another project opens). */
  reset(): void {
    this.runStarted();
  }

  async fix(): Promise<void> {
    const target = this.host.target();
    if (target) await this.host.open(target);
    this.host.showAssistant();
    await this.host.askFix();
  }
}
