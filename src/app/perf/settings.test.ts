import { describe, expect, it } from 'vitest';
import { SECTIONS } from '../../perf/index.js';
import { usePlayground } from '../store.js';
import {
  decodeWorkspace,
  defaultPerf,
  defaultWorkspace,
  encodeWorkspace,
  PERF_SECTIONS,
  validateWorkspace,
  WorkspaceError,
} from '../../playground/workspace/index.js';
import { usePerf } from './store.js';
import { perfSpecOf, syncPerfSettings } from './sync.js';

const problems = (input: unknown): string[] => {
  try {
    validateWorkspace(input);
  } catch (e) {
    if (e instanceof WorkspaceError) return e.problems;
    throw e;
  }
  return [];
};

describe("the Performance page's settings in the workspace", () => {
  it('name the sections src/perf runs, in its order', () => {
    expect([...PERF_SECTIONS]).toEqual([...SECTIONS]);
  });

  it('default to a quick run of every section, no software WebGL', () => {
    expect(defaultWorkspace().perf).toEqual({ size: 'quick', sections: [...SECTIONS], softwareWebgl: false });
    expect(perfSpecOf(usePerf.getState())).toEqual(defaultPerf());
  });

  it('round-trip through the URL hash', () => {
    const w = defaultWorkspace();
    w.perf = { size: 'full', sections: ['gather', 'gpu'], softwareWebgl: true };
    expect(decodeWorkspace(encodeWorkspace(w))?.perf).toEqual(w.perf);
  });

  it('read links made before them with the defaults', () => {
    const { perf: _p, ...old } = defaultWorkspace();
    expect(validateWorkspace(old).perf).toEqual(defaultPerf());
  });

  it('keep the sections in the order they run', () => {
    const w = { ...defaultWorkspace(), perf: { size: 'quick', sections: ['gpu', 'hashtable'], softwareWebgl: false } };
    expect(validateWorkspace(w).perf.sections).toEqual(['hashtable', 'gpu']);
  });

  it('refuse bad values, each by its field', () => {
    const bad = (perf: unknown) => problems({ ...defaultWorkspace(), perf });
    expect(bad({ size: 'huge', sections: [], softwareWebgl: false })).toEqual(['perf.size must be one of quick, full']);
    expect(bad({ size: 'quick', sections: ['gather', '<img>'], softwareWebgl: false })).toEqual([
      `perf.sections[1] must be one of ${SECTIONS.join(', ')}`,
    ]);
    expect(bad({ size: 'quick', sections: ['gather', 'gather'], softwareWebgl: false })).toEqual([
      'perf.sections names gather twice',
    ]);
    expect(bad({ size: 'quick', sections: 'all', softwareWebgl: 1 })).toEqual([
      `perf.sections must be a list of at most 5 of ${SECTIONS.join(', ')}`,
      'perf.softwareWebgl must be true or false',
    ]);
    expect(bad({ size: 'quick', sections: [], softwareWebgl: false, extra: 1 })).toEqual([
      'perf.extra is not a known field',
    ]);
    expect(bad('quick')).toContain('perf must be an object');
  });

  it('follow the page both ways: a change on the page is written into the workspace, a loaded workspace sets the page', () => {
    const stop = syncPerfSettings();
    try {
      usePerf.getState().setSize('full');
      usePerf.getState().toggleSection('workers');
      usePerf.getState().setSoftwareWebgl(true);
      expect(usePlayground.getState().workspace.perf).toEqual({
        size: 'full',
        sections: SECTIONS.filter((x) => x !== 'workers'),
        softwareWebgl: true,
      });
      const w = defaultWorkspace();
      w.perf = { size: 'quick', sections: ['train'], softwareWebgl: false };
      usePlayground.getState().loadWorkspace(w, 'url');
      expect(perfSpecOf(usePerf.getState())).toEqual(w.perf);
    } finally {
      stop();
    }
  });
});
