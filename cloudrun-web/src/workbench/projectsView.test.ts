// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import type { Entry } from '../paths';
import { FakeDialogs, FakeServer, LANGUAGES } from './fakes';
import { languageSwitch, ProjectsView, starterFiles, type ProjectsHost } from './projectsView';

describe('projects view', () => {
  let server: FakeServer;
  let dialogs: FakeDialogs;
  let events: string[];
  let current: string | null;
  let view: ProjectsView;
  let sidebar: HTMLElement;

  const render = () => {
    sidebar.replaceChildren();
    view.render(sidebar);
  };
  const submit = (name: string, language: string) => {
    sidebar.querySelector<HTMLInputElement>('input[name=project-name]')!.value = name;
    sidebar.querySelector<HTMLSelectElement>('select[name=project-language]')!.value = language;
    sidebar.querySelector<HTMLFormElement>('form.new-project')!.dispatchEvent(new Event('submit', { cancelable: true }));
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  beforeEach(async () => {
    server = new FakeServer();
    server.projectList = [
      { id: 'a', name: 'Adder', language: 'python', entry: 'main.py' },
      { id: 'b', name: 'Site', language: 'html', entry: 'index.html' },
      { id: 'c', name: 'Odd', language: 'cobol', entry: null },
    ];
    dialogs = new FakeDialogs();
    events = [];
    current = 'b';
    const host: ProjectsHost = {
      languages: () => LANGUAGES,
      currentProjectId: () => current,
      open: async (id) => { events.push(`open ${id}`); },
      created: () => events.push('created'),
      renamed: (id, name) => events.push(`renamed ${id} ${name}`),
      deleted: (id) => events.push(`deleted ${id}`),
      changed: () => events.push('changed'),
    };
    view = new ProjectsView(server, dialogs, host);
    sidebar = document.createElement('aside');
    await view.load();
    render();
  });

  it('lists the projects with their language, the open one marked', () => {
    const items = [...sidebar.querySelectorAll('.project-item')];
    expect(items.map((item) => item.querySelector('.project-name')!.textContent)).toEqual(['Adder', 'Site', 'Odd']);
    expect(items.map((item) => item.querySelector('.project-language')!.textContent)).toEqual(['Python 3', 'HTML', 'cobol']);
    expect(items.map((item) => item.classList.contains('active'))).toEqual([false, true, false]);
    expect([...sidebar.querySelectorAll('select[name=project-language] option')].map((option) => option.textContent))
      .toEqual(['Python 3', 'JavaScript', 'HTML']);
    sidebar.querySelector<HTMLButtonElement>('.project-open[data-project=Adder]')!.click();
    expect(events).toEqual(['open a']);
  });

  it('says so when there are no projects', async () => {
    server.projectList = [];
    await view.load();
    render();
    expect(sidebar.querySelector('.project-list .empty')!.textContent).toBe('No projects yet. Create one above.');
  });

  it('creates a project from the language template, then opens it', async () => {
    submit('  Greeter ', 'python');
    await settle();
    expect(server.calls).toContain('create Greeter python main.py main.py');
    expect(view.projects.map((project) => project.name)).toContain('Greeter');
    expect(events).toEqual(['open new1', 'created']);
  });

  it('checks the name and the language before asking the server', async () => {
    submit('   ', 'python');
    await settle();
    expect(sidebar.querySelector('.form-error')!.textContent).toBe('Please give the project a name.');
    await view.create('Name', 'cobol', sidebar.querySelector('.form-error')!);
    expect(sidebar.querySelector('.form-error')!.textContent).toBe('Please pick a language.');
    expect(server.calls.some((call) => call.startsWith('create'))).toBe(false);
  });

  it('shows the server\'s refusal in the form', async () => {
    server.createProject = async () => { throw new ApiError(409, 'exists', 'A project named Adder exists'); };
    submit('Adder', 'python');
    await settle();
    expect(sidebar.querySelector('.form-error')!.textContent).toBe('A project named Adder exists');
    expect(events).toEqual([]);
  });

  it('renames a project', async () => {
    dialogs.answers.push('Summer');
    await view.rename(view.projects[0]);
    expect(server.calls).toContain('update a {"name":"Summer"}');
    expect(view.projects[0].name).toBe('Summer');
    expect(events).toEqual(['renamed a Summer', 'changed']);
    // The same name or a cancelled dialog changes nothing.
    dialogs.answers.push('Summer');
    await view.rename(view.projects[0]);
    await view.rename(view.projects[0]);
    expect(server.calls.filter((call) => call.startsWith('update'))).toHaveLength(1);
  });

  it('deletes a project only when confirmed', async () => {
    dialogs.confirms.push(false);
    await view.delete(view.projects[1]);
    expect(server.calls).not.toContain('delete project b');
    dialogs.confirms.push(true);
    await view.delete(view.projects[1]);
    expect(server.calls).toContain('delete project b');
    expect(view.projects.map((project) => project.id)).toEqual(['a', 'c']);
    expect(events).toEqual(['deleted b', 'changed']);
  });
});

describe('starter files and language switches', () => {
  const file = (path: string): Entry => ({ path, kind: 'file', sizeBytes: 1 });

  it('an HTML project starts with a stylesheet and a script', () => {
    expect(Object.keys(starterFiles(LANGUAGES[0]))).toEqual(['main.py']);
    expect(Object.keys(starterFiles(LANGUAGES[2]))).toEqual(['index.html', 'style.css', 'script.js']);
    expect(starterFiles(LANGUAGES[2])['style.css']).toContain('#0e7ad3');
  });

  it('a switch adds the starter file only when the project has no file of that language', () => {
    expect(languageSwitch([file('main.py')], LANGUAGES, 'javascript', 'main.py'))
      .toEqual({ starter: { path: 'main.js', text: 'console.log(1)\n' }, entry: 'main.js' });
    expect(languageSwitch([file('main.py'), file('src/app.js')], LANGUAGES, 'javascript', 'main.py'))
      .toEqual({ starter: null, entry: 'src/app.js' });
    expect(languageSwitch([file('main.py')], LANGUAGES, 'cobol', 'main.py')).toEqual({ starter: null, entry: 'main.py' });
  });
});
