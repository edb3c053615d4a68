import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { DiscardDialog } from './components/DiscardDialog.js';
import { Header } from './components/Header.js';
import { Panel } from './components/Panel.js';
import { SectionNav } from './components/SectionNav.js';
import { BatchPanel } from './panels/BatchPanel.js';
import { DemoPanel } from './demo/DemoPanel.js';
import { MovieLensPanel } from './movielens/MovieLensPanel.js';
import { PANEL_ORDER, PANELS } from './panels/descriptions.js';
import { FeaturesPanel } from './panels/FeaturesPanel.js';
import { LookupPanel } from './panels/LookupPanel.js';
import { PerfPanel } from './perf/PerfPanel.js';
import { PresetsPanel } from './panels/PresetsPanel.js';
import { TablesPanel } from './panels/TablesPanel.js';
import { type PanelId, usePlayground } from './store.js';
import { TpuPanel } from './tpu/TpuPanel.js';
import { ChartsPanel } from './training/ChartsPanel.js';
import { CodePanel } from './training/CodePanel.js';
import { InternalsPanel } from './training/InternalsPanel.js';
import { TrainingPanel } from './training/TrainingPanel.js';

const BODIES: Record<PanelId, () => ReactNode> = {
  presets: () => <PresetsPanel />,
  tables: () => <TablesPanel />,
  features: () => <FeaturesPanel />,
  batch: () => <BatchPanel />,
  lookup: () => <LookupPanel />,
  training: () => <TrainingPanel />,
  charts: () => <ChartsPanel />,
  internals: () => <InternalsPanel />,
  code: () => <CodePanel />,
  tpu: () => <TpuPanel />,
  performance: () => <PerfPanel />,
};

function NoticeBanner() {
  const { notice, setNotice } = usePlayground(useShallow((s) => ({ notice: s.notice, setNotice: s.setNotice })));
  if (!notice) return null;
  return (
    <div className={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>{' '}
      <button type="button" onClick={() => setNotice(null)}>
        Dismiss
      </button>
    </div>
  );
}

/** The playground: a header with the engine status and section links over a grid of panels. */
export function App() {
  return (
    <div className="app">
      <Header />
      <SectionNav />
      <NoticeBanner />
      <DiscardDialog />
      <main className="grid">
        {PANEL_ORDER.map((id) => (
          <Panel key={id} id={id} title={PANELS[id].title} area={id}>
            {BODIES[id]()}
          </Panel>
        ))}
      </main>
      <DemoPanel />
      <MovieLensPanel />
      <footer className="app-footer">
        Everything runs in this page: ids, tables and files never leave your machine. The workspace is saved in this
        browser (IndexedDB) and in the page address, so a copied link reproduces it. Engine: <code>window.dynemb</code>;
        app state: <code>window.playground</code>.
      </footer>
    </div>
  );
}
