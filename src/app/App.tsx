import { Header } from './components/Header.js';
import { Panel, Upcoming } from './components/Panel.js';
import { PANELS } from './panels/descriptions.js';
import type { PanelId } from './store.js';

const ORDER: PanelId[] = ['tables', 'features', 'batch', 'lookup', 'charts', 'tpu', 'code', 'performance'];

/** The playground: a header with the engine status over a grid of panels. */
export function App() {
  return (
    <div className="app">
      <Header />
      <main className="grid">
        {ORDER.map((id) => (
          <Panel key={id} id={id} title={PANELS[id].title} area={id}>
            <Upcoming what={PANELS[id].what} items={PANELS[id].items} />
          </Panel>
        ))}
      </main>
      <footer className="app-footer">
        Everything runs in this page: ids, tables and files never leave your machine. Engine: <code>window.dynemb</code>
        .
      </footer>
    </div>
  );
}
