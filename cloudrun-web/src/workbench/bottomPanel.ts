/**
 * The bottom panel: the Terminal (run output), Shell (shells in the project's workspace), AI Assistant,
 * Input and History tabs, with the panel's action buttons.
 */
import { h, icon } from '../dom';

export type PanelTab = 'terminal' | 'shell' | 'ai' | 'input' | 'history';

export interface BottomPanelHost {
  /** Clears the terminal of the tab shown (run output or the active shell). */
  clearTerminal(): void;
  /** A tab was shown (the terminal fits itself, the assistant refreshes). */
  shown(tab: PanelTab): void;
}

export class BottomPanel {
  private readonly tabs = h('div', { class: 'panel-tabs', role: 'tablist', 'aria-label': 'Panel' });
  readonly terminalHost = h('div', { class: 'terminal-host', 'data-testid': 'terminal', id: 'panel-terminal', role: 'tabpanel', 'aria-labelledby': 'panel-tab-terminal' });
  readonly shellPane = h('div', { class: 'shell-pane', id: 'panel-shell', role: 'tabpanel', 'aria-labelledby': 'panel-tab-shell' });
  readonly aiPane = h('div', { class: 'ai-pane', id: 'panel-ai', role: 'tabpanel', 'aria-labelledby': 'panel-tab-ai' });
  readonly historyPane = h('div', { class: 'history-host', id: 'panel-history', role: 'tabpanel', 'aria-labelledby': 'panel-tab-history' });
  private readonly inputBox = h('textarea', { class: 'stdin-input', spellcheck: 'false', placeholder: 'Input given to the program up front (one run reads it as its stdin).', 'aria-label': 'Program input' });
  private readonly inputPane = h('div', { class: 'input-pane', id: 'panel-input', role: 'tabpanel', 'aria-labelledby': 'panel-tab-input' },
    h('p', { class: 'hint', text: 'Text here is given to the program as its standard input when you press Run. Leave it empty to type input in the terminal while the program runs.' }),
    this.inputBox);
  readonly element = h('section', { class: 'panel', 'aria-label': 'Panel' });
  private shown: PanelTab = 'terminal';

  /** `actions` go before the Clear button in the panel's header. */
  constructor(actions: HTMLElement[], private readonly host: BottomPanelHost) {
    const tab = (id: PanelTab, label: string) => h('button', {
      class: 'panel-tab', type: 'button', role: 'tab', id: `panel-tab-${id}`, 'aria-controls': `panel-${id}`, 'data-tab': id, text: label,
      onclick: () => this.show(id),
    });
    this.tabs.append(tab('terminal', 'Terminal'), tab('shell', 'Shell'), tab('ai', 'AI Assistant'), tab('input', 'Input'), tab('history', 'History'));
    // The tab list is one Tab stop; Left and Right (Home, End) pick a tab, as in the WAI-ARIA tabs pattern.
    this.tabs.addEventListener('keydown', (event) => {
      const buttons = [...this.tabs.querySelectorAll<HTMLElement>('.panel-tab')];
      const index = buttons.indexOf(document.activeElement as HTMLElement);
      if (index < 0) return;
      const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: buttons.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      const target = buttons[(next + buttons.length) % buttons.length];
      this.show(target.dataset.tab as PanelTab);
      target.focus();
    });
    const panelActions = h('div', { class: 'panel-actions' }, ...actions,
      h('button', { class: 'icon-button', type: 'button', title: 'Clear terminal (Ctrl+K)', 'aria-label': 'Clear terminal',
        onclick: () => this.host.clearTerminal() }, icon('clear')));
    this.element.append(h('div', { class: 'panel-header' }, this.tabs, panelActions),
      h('div', { class: 'panel-body' }, this.terminalHost, this.shellPane, this.aiPane, this.inputPane, this.historyPane));
  }

  /** What the Input tab holds: the program's stdin given up front. */
  get input(): string {
    return this.inputBox.value;
  }

  /** The tab showing. */
  get current(): PanelTab {
    return this.shown;
  }

  show(tab: PanelTab): void {
    this.shown = tab;
    this.tabs.querySelectorAll<HTMLElement>('.panel-tab').forEach((button) => {
      const selected = button.dataset.tab === tab;
      button.classList.toggle('active', selected);
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
    });
    this.terminalHost.hidden = tab !== 'terminal';
    this.shellPane.hidden = tab !== 'shell';
    this.aiPane.hidden = tab !== 'ai';
    this.inputPane.hidden = tab !== 'input';
    this.historyPane.hidden = tab !== 'history';
    this.host.shown(tab);
  }
}
