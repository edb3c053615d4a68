import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { startEngine } from './engine.js';
import { startWorker } from './runtime/worker.js';
import { startPersistence } from './workspace/persist.js';
import { syncViewSettings } from './workspace/views.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// The workspace is restored (URL, then IndexedDB) before the first render, so no panel
// flashes the defaults and no autosave overwrites a saved workspace with them.
// The TPU panel's and the demo's settings follow the workspace (and the URL), both ways.
syncViewSettings();
void startPersistence().finally(() => {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
});
void startEngine();
// The tables live in a Web Worker; a failure is shown in the inspector, not thrown here.
startWorker().catch(() => {});
