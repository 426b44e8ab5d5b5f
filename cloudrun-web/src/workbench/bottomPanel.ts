/** The bottom panel: the Terminal, AI Assistant, Input and History tabs, with the panel's action buttons. */
import { h, icon } from '../dom';

export type PanelTab = 'terminal' | 'ai' | 'input' | 'history';

export interface BottomPanelHost {
  clearTerminal(): void;
  /** A tab was shown (the terminal fits itself, the assistant refreshes). */
  shown(tab: PanelTab): void;
}

export class BottomPanel {
  private readonly tabs = h('div', { class: 'panel-tabs', role: 'tablist' });
  readonly terminalHost = h('div', { class: 'terminal-host', 'data-testid': 'terminal' });
  readonly aiPane = h('div', { class: 'ai-pane' });
  readonly historyPane = h('div', { class: 'history-host' });
  private readonly inputBox = h('textarea', { class: 'stdin-input', spellcheck: 'false', placeholder: 'Input given to the program up front (one run reads it as its stdin).', 'aria-label': 'Program input' });
  private readonly inputPane = h('div', { class: 'input-pane' },
    h('p', { class: 'hint', text: 'Text here is given to the program as its standard input when you press Run. Leave it empty to type input in the terminal while the program runs.' }),
    this.inputBox);
  readonly element = h('section', { class: 'panel', 'aria-label': 'Panel' });

  /** `actions` go before the Clear button in the panel's header. */
  constructor(actions: HTMLElement[], private readonly host: BottomPanelHost) {
    const tab = (id: PanelTab, label: string) => h('button', {
      class: 'panel-tab', type: 'button', role: 'tab', 'data-tab': id, text: label, onclick: () => this.show(id),
    });
    this.tabs.append(tab('terminal', 'Terminal'), tab('ai', 'AI Assistant'), tab('input', 'Input'), tab('history', 'History'));
    const panelActions = h('div', { class: 'panel-actions' }, ...actions,
      h('button', { class: 'icon-button', type: 'button', title: 'Clear terminal (Ctrl+K)', 'aria-label': 'Clear terminal',
        onclick: () => this.host.clearTerminal() }, icon('clear')));
    this.element.append(h('div', { class: 'panel-header' }, this.tabs, panelActions),
      h('div', { class: 'panel-body' }, this.terminalHost, this.aiPane, this.inputPane, this.historyPane));
  }

  /** What the Input tab holds: the program's stdin given up front. */
  get input(): string {
    return this.inputBox.value;
  }

  show(tab: PanelTab): void {
    this.tabs.querySelectorAll<HTMLElement>('.panel-tab').forEach((button) => {
      const selected = button.dataset.tab === tab;
      button.classList.toggle('active', selected);
      button.setAttribute('aria-selected', String(selected));
    });
    this.terminalHost.hidden = tab !== 'terminal';
    this.aiPane.hidden = tab !== 'ai';
    this.inputPane.hidden = tab !== 'input';
    this.historyPane.hidden = tab !== 'history';
    this.host.shown(tab);
  }
}
