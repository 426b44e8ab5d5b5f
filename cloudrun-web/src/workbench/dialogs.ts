/** The modals and notes views use, behind an interface so that a unit test can answer them. */
import { ApiError } from '../api';
import { askText, confirmAction, toast } from '../dom';

export interface Dialogs {
  /** Asks for one line of text; null when cancelled. */
  askText(title: string, label: string, initial?: string, validate?: (value: string) => string | null): Promise<string | null>;
  /** A yes/no question. */
  confirm(title: string, message: string, action: string): Promise<boolean>;
  /** A short message in the corner. */
  toast(message: string, tone?: 'info' | 'error'): void;
}

/** The real modals of dom.ts. */
export const domDialogs: Dialogs = { askText, confirm: confirmAction, toast };

/** Shows a failure as a toast; an expired session is left to the sign-in screen, which says it. */
export function reportError(dialogs: Dialogs, problem: unknown): void {
  if (problem instanceof ApiError && problem.status === 401) return;
  dialogs.toast(problem instanceof Error ? problem.message : String(problem), 'error');
}

/** Runs an action and reports its failure instead of throwing. */
export async function guard(dialogs: Dialogs, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (problem) {
    reportError(dialogs, problem);
  }
}
