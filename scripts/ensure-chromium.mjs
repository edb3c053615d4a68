// Makes sure Debian's Chromium is at /usr/bin/chromium for the Playwright tests, installing
// it with apt-get when it is missing and we may (root on Debian). Playwright's own browser
// download cannot work on these machines, so there is no other fallback.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  console.log(`ensure-chromium: ${path} is missing; installing Debian's chromium with apt-get (this takes a minute)…`);
  try {
    execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium', { stdio: 'inherit' });
  } catch {
    // fall through to the message below
  }
  if (existsSync(path)) process.exit(0);
}
console.error(
  `ensure-chromium: the browser tests need Chromium at ${path}, and it is not there.\n` +
    'Install it with:  sudo apt-get update && sudo apt-get install -y chromium\n' +
    'or point CHROMIUM_PATH at another Chromium build.',
);
process.exit(1);
