// Runs examples/train-node.ts exactly as the README says (on the built library) and checks that
// the model it trains learns: the train loss falls, and on the held-out log it beats the
// constant-CTR baseline by a clear margin. Needs `npm run build:lib` first (as every engine test).
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('examples/train-node.ts', () => {
  it('trains: the loss falls and the held-out AUC / log-loss beat the constant-CTR baseline', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['examples/run.mjs', 'examples/train-node.ts'], {
      cwd: root,
      timeout: 120_000,
    });
    const num = (re: RegExp) => {
      const m = stdout.match(re);
      if (!m) throw new Error(`the example's output has no line matching ${re}:\n${stdout}`);
      return Number(m[1]);
    };
    const first = num(/step 1: train loss ([\d.]+)/);
    const trainLosses = [...stdout.matchAll(/train loss ([\d.]+)\s+held-out/g)].map((m) => Number(m[1]));
    expect(trainLosses.length).toBe(6);
    expect(trainLosses[5]).toBeLessThan(first - 0.1);
    const baseLoss = num(/constant CTR \([\d.]+\)\s+([\d.]+)/);
    const modelLoss = num(/dynemb model\s+([\d.]+)/);
    const modelAuc = num(/dynemb model\s+[\d.]+\s+([\d.]+)/);
    const ceilingLoss = num(/true click probabilities\s+([\d.]+)/);
    expect(modelAuc).toBeGreaterThan(0.7); // the baseline's AUC is 0.5
    expect(modelLoss).toBeLessThan(baseLoss - 0.05);
    expect(modelLoss).toBeGreaterThan(ceilingLoss); // nothing beats the true probabilities on average
    expect(stdout).toMatch(/restrict\(1500\) removed 500 users; 1500 remain/);
    expect(stdout).toMatch(/checkpoint: \d+ bytes/);
  }, 150_000);
});
