// What the browser scripts share: Debian's headless Chromium, a tally of checks, the
// accessibility check with axe-core, screenshots, and TOTP codes computed here.
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const base = process.env.VITRINE_URL;
export const artefacts = process.env.VITRINE_ARTEFACTS || 'target/browser-artefacts';
mkdirSync(artefacts, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const tally = { passed: 0, failed: 0 };
/** Counts a check; prints it, with `detail` when it fails. */
export function check(ok, what, detail = '') {
  if (ok) {
    tally.passed += 1;
    console.log(`ok   - ${what}`);
  } else {
    tally.failed += 1;
    console.log(`FAIL - ${what}${detail ? `\n       ${detail}` : ''}`);
  }
  return ok;
}

/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
    timeout: 30000,
  });
}

/** Ends the script after `seconds` whatever happens, failing. */
export function watchdog(seconds) {
  return setTimeout(() => {
    console.log(`FAIL - the browser tests took more than ${seconds} s`);
    process.exit(1);
  }, seconds * 1000);
}

/** axe-core's serious and critical WCAG 2.1 AA violations on the page, checked; and a
 * screenshot named `name`. `scriptsOff`: the page's context runs no script, and axe
 * needs them: the page's HTML is checked in a context of its own that does, at the same
 * address (so its styles load). */
export async function axe(page, name, { scriptsOff = false } = {}) {
  await page.screenshot({ path: path.join(artefacts, `${name.replace(/\W+/g, '-')}.png`), fullPage: true });
  let target = page;
  let helper = null;
  if (scriptsOff) {
    const html = await page.content();
    helper = await page.context().browser().newContext();
    target = await helper.newPage();
    const url = page.url().split('#')[0];
    await target.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await target.goto(url);
  }
  await target.evaluate(axeSource);
  const violations = await target.evaluate(async () =>
    // eslint-disable-next-line no-undef
    (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } })).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
  check(violations.length === 0, `${name}: axe-core`, violations.join('\n       '));
  if (helper) await helper.close();
}

/** The TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) of a base32 secret at `at`. */
export function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[19] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}
