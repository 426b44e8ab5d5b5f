import { describe, expect, it } from 'vitest';
import { basename, buildTree, dirname, extension, join, monacoLanguageOf, moved, nameProblem, normalize, resolve, type LanguageInfo } from './paths';

const python: LanguageInfo = { id: 'python', displayName: 'Python 3', extensions: ['.py'], monacoLanguage: 'python', sourceFile: 'main.py', template: '', previewOnly: false };

describe('paths', () => {
  it('normalizes like the server', () => {
    expect(normalize('./src//app/')).toBe('src/app');
    expect(join('', 'a.py')).toBe('a.py');
    expect(join('src', 'a.py')).toBe('src/a.py');
    expect(basename('src/a.py')).toBe('a.py');
    expect(dirname('src/a.py')).toBe('src');
    expect(dirname('a.py')).toBe('');
    expect(extension('src/Main.JAVA')).toBe('.java');
    expect(extension('.gitignore')).toBe('');
  });

  it('moves paths inside a renamed folder only', () => {
    expect(moved('src/a.py', 'src', 'lib')).toBe('lib/a.py');
    expect(moved('srcs/a.py', 'src', 'lib')).toBe('srcs/a.py');
    expect(moved('src', 'src', 'lib')).toBe('lib');
  });

  it('resolves references and refuses to leave the project', () => {
    expect(resolve('index.html', 'style.css')).toBe('style.css');
    expect(resolve('pages/a.html', '../css/site.css?v=1')).toBe('css/site.css');
    expect(resolve('pages/a.html', './img/my%20logo.png')).toBe('pages/img/my logo.png');
    expect(resolve('index.html', '../secret')).toBeNull();
  });

  it('rejects bad names', () => {
    expect(nameProblem('ok.py')).toBeNull();
    expect(nameProblem('a/b')).not.toBeNull();
    expect(nameProblem('..')).not.toBeNull();
    expect(nameProblem('  ')).not.toBeNull();
  });

  it('builds a sorted tree with implicit folders', () => {
    const tree = buildTree([
      { path: 'main.py', kind: 'file', sizeBytes: 1 },
      { path: 'lib/util.py', kind: 'file', sizeBytes: 1 },
      { path: 'assets', kind: 'folder', sizeBytes: 0 },
    ]);
    expect(tree.children.map((node) => node.path)).toEqual(['assets', 'lib', 'main.py']);
    expect(tree.children[1].children[0].path).toBe('lib/util.py');
  });

  it('picks the editor mode from the file', () => {
    expect(monacoLanguageOf('x/main.py', [python])).toBe('python');
    expect(monacoLanguageOf('style.css', [python])).toBe('css');
    expect(monacoLanguageOf('README', [python])).toBe('plaintext');
  });
});
