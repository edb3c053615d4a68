// Opening the live recommender demo from its preset: the model back at step 0 with the preset's
// settings (the default seed), the page scrolled to the demo and its Play button focused, so one
// key press starts training.
import { usePlayground } from '../store.js';

/** Marks the demo's Play / Resume button (what openDemo focuses). */
export const PLAY_ATTR = 'data-demo-play';

function settled(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => usePlayground.getState().demoStatus !== 'starting';
    if (done()) {
      resolve();
      return;
    }
    const stop = usePlayground.subscribe(() => {
      if (!done()) return;
      stop();
      resolve();
    });
  });
}

/**
 * Call after the demo preset's workspace is loaded (which applies its settings, restarting the
 * model when they changed). A model that has trained, or is training, is reset too; then the demo
 * is scrolled into view with Play focused.
 */
export async function openDemo(): Promise<void> {
  const s = usePlayground.getState();
  if (s.demoStatus === 'playing' || (s.demoMetrics.at(-1)?.step ?? 0) > 0) await s.demoReset();
  await settled();
  // The next frame: React has rendered the enabled Play button.
  await new Promise((r) => requestAnimationFrame(r));
  const demo = document.querySelector<HTMLElement>('[data-panel="demo"]');
  demo?.scrollIntoView({ block: 'start' });
  demo?.querySelector<HTMLButtonElement>(`[${PLAY_ATTR}]`)?.focus({ preventScroll: true });
}
