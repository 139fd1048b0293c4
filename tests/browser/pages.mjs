// Vitrine's public pages in headless Chromium (Debian's /usr/bin/chromium), both
// languages: every page renders with its status, no missing message, no script error and
// no Content-Security-Policy violation, passes axe-core with no serious violation, shows
// hostile text as text, and verifies its log entries in the browser, failing (and saying
// why) when the receipts are tampered with on the way. Screenshots go to VITRINE_ARTEFACTS.
//
//   VITRINE_URL=http://127.0.0.1:PORT VITRINE_TENDERS=id1,id2 VITRINE_HOSTILE_TENDER=id2 \
//   VITRINE_HOSTILE='marker' VITRINE_ARTEFACTS=dir node pages.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { artefacts, base, check, launch, tally, watchdog as deadline } from './common.mjs';

const tenders = (process.env.VITRINE_TENDERS || '').split(',').filter(Boolean);
const hostileTender = process.env.VITRINE_HOSTILE_TENDER;
const hostile = process.env.VITRINE_HOSTILE || '';
const buyer = process.env.VITRINE_BUYER;
if (!base || !tenders.length) {
  console.error('set VITRINE_URL and VITRINE_TENDERS');
  process.exit(2);
}
// Its own axe run: each page's violations are told with the page's other checks.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const browser = await launch();
const watchdog = deadline(240);

/** A fresh context reading in `lang`, recording script errors and CSP violations. */
async function reader(lang) {
  const context = await browser.newContext({
    locale: lang,
    extraHTTPHeaders: { 'accept-language': lang },
    viewport: { width: 1200, height: 900 },
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  return { context, page };
}

async function axe(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Visits `url` and checks what every page owes its reader. */
async function visit(page, lang, name, url, status = 200) {
  page.problems = [];
  const response = await page.goto(base + url, { waitUntil: 'networkidle' });
  check(response.status() === status, `${lang} ${name}: status`, `${url} answered ${response.status()}, not ${status}`);
  check(await page.getAttribute('html', 'lang') === lang, `${lang} ${name}: <html lang>`);
  const text = await page.evaluate(() => document.body.innerText);
  const keys = text.match(/\b(js|verify|verify_panel)\.[a-z_]+/g);
  check(!keys, `${lang} ${name}: no message key shown`, String(keys));
  check(await page.locator('main h1').count() >= 1, `${lang} ${name}: a heading`);
  const violations = await axe(page);
  check(violations.length === 0, `${lang} ${name}: axe-core`,
    violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join('\n       '));
  check(page.problems.length === 0, `${lang} ${name}: no script error or CSP violation`, page.problems.join('\n       '));
  await page.screenshot({ path: path.join(artefacts, `${lang}-${name}.png`), fullPage: true });
  return text;
}

const verifiedState = (page, selector) => page.waitForFunction(
  (sel) => [...document.querySelectorAll(sel)].every((e) => ['ok', 'failed'].includes(e.dataset.verifyState)),
  selector, { timeout: 20000 },
);

try {
  for (const lang of ['zh-CN', 'en']) {
    const { context, page } = await reader(lang);
    await visit(page, lang, 'home', '/');
    await visit(page, lang, 'tenders', '/tenders');
    const refused = await visit(page, lang, 'tenders-bad-filter', '/tenders?status=bogus&value_min=abc&buyer=kept-value', 400);
    check(await page.locator('#f-value-min[aria-invalid="true"]').count() === 1, `${lang} bad filter: the field is marked`);
    check(await page.inputValue('#f-buyer') === 'kept-value', `${lang} bad filter: what the reader typed is kept`);
    check(await page.locator('.field-error').count() === 2, `${lang} bad filter: a message by each bad field`, refused.slice(0, 300));
    for (const [i, id] of tenders.entries()) {
      await visit(page, lang, `tender-${i}`, `/tenders/${encodeURIComponent(id)}`);
    }
    if (buyer) await visit(page, lang, 'organisation', `/organisations/${encodeURIComponent(buyer)}`);
    await visit(page, lang, 'explorer', '/explorer');
    await visit(page, lang, 'entry', '/entries/1');
    await visit(page, lang, 'consistency', '/consistency?from=1');
    await visit(page, lang, 'not-found', '/tenders/no-such-tender', 404);
    await visit(page, lang, 'bad-index', '/entries/01', 400);
    await visit(page, lang, 'no-page', '/no/such/page', 404);
    await context.close();
  }

  // Hostile text shows as text and runs nothing.
  if (hostileTender) {
    const { context, page } = await reader('en');
    await page.goto(`${base}/tenders/${encodeURIComponent(hostileTender)}`);
    const body = await page.evaluate(() => document.body.textContent);
    check(hostile && body.includes(hostile), 'hostile text is shown as text');
    // In every field that holds it: title, description, justification, lot, document,
    // question, answer, the amendment's reason and its before/after.
    for (const where of ['#tender-title', 'description', 'justification', 'lots', 'documents', 'questions', 'amendments']) {
      const selector = where.startsWith('#') ? where : `section[aria-labelledby="${where}-title"]`;
      const shown = await page.locator(selector).first().textContent().catch(() => '');
      check(shown.includes(hostile), `hostile text is shown as text in ${where}`);
    }
    check(await page.evaluate(() => window.__pwned === undefined), 'hostile text runs no script');
    check(await page.locator('script').count() === 2, 'hostile text adds no script element');
    check(await page.locator('img').count() === 0, 'hostile text adds no element');
    // Its 52 questions come 50 to a page; the pager leads to the rest and back.
    const questions = () => page.$$eval('.qa dt', (els) => els.length);
    check(await questions() === 50, 'a long section shows one page', String(await questions()));
    await Promise.all([page.waitForNavigation(), page.click('nav.pager a[href*="questions=2"]')]);
    check(await questions() === 2, 'the pager leads to the next page', String(await questions()));
    check(await page.locator('nav.pager a[rel="prev"][href*="questions=1"]').count() === 1, 'and back');
    const badPage = await page.goto(`${base}/tenders/${encodeURIComponent(hostileTender)}?questions=zero`);
    check(badPage.status() === 400 && (await page.textContent('main')).includes('questions'), 'a page number that is not one is refused, naming its section', String(badPage.status()));
    await context.close();
  }

  // On a phone: no page is wider than the screen (long tables scroll in their own box).
  {
    const context = await browser.newContext({ locale: 'zh-CN', extraHTTPHeaders: { 'accept-language': 'zh-CN' }, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    for (const [name, url] of [['home', '/'], ['tenders', '/tenders'], ['tender', `/tenders/${encodeURIComponent(tenders[0])}`], ['entry', '/entries/1'], ['login', '/login']]) {
      await page.goto(base + url, { waitUntil: 'networkidle' });
      const [wide, screen] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      check(wide <= screen + 1, `phone ${name}: no wider than the screen`, `${wide} px on a ${screen} px screen`);
      await page.screenshot({ path: path.join(artefacts, `phone-zh-CN-${name}.png`), fullPage: true });
    }
    await context.close();
  }

  // The language switch is visible, works, and is remembered.
  {
    const { context, page } = await reader('zh-CN');
    await page.goto(`${base}/tenders`);
    await page.click('.lang-switch a[hreflang="en"]');
    check(await page.getAttribute('html', 'lang') === 'en', 'the switch changes the language');
    check(new URL(page.url()).pathname === '/tenders', 'the switch comes back to the same page');
    await page.goto(`${base}/explorer`);
    check(await page.getAttribute('html', 'lang') === 'en', 'the choice is remembered');
    // Keyboard: the first Tab reaches the skip link, which leads to the content.
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement?.className) === 'skip', 'the first Tab reaches the skip link');
    await context.close();
  }

  // Logging in with the form: a wrong password is refused with the address kept; a form
  // posted without this site's form cookie is refused; the account page; logging out.
  if (process.env.VITRINE_LOGIN_EMAIL) {
    for (const lang of ['zh-CN', 'en']) {
      const { context, page } = await reader(lang);
      const email = process.env.VITRINE_LOGIN_EMAIL;
      await visit(page, lang, 'login', '/login');
      await page.fill('#email', email);
      await page.fill('#password', 'not the password at all');
      const [wrong] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      check(wrong.status() === 401, `${lang} login: a wrong password is refused`, String(wrong.status()));
      check(await page.inputValue('#email') === email, `${lang} login: the address is kept`);
      check(await page.inputValue('#password') === '', `${lang} login: the password is not sent back`);
      check(await page.locator('.form-error').count() === 1, `${lang} login: the refusal is said`);
      await page.fill('#password', process.env.VITRINE_PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      check(new URL(page.url()).pathname === '/me', `${lang} login: the account page follows`, page.url());
      await visit(page, lang, 'me', '/me');
      check((await page.textContent('main')).includes(email), `${lang} login: the account page names the account`);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
      const after = await page.goto(`${base}/me`);
      check(new URL(page.url()).pathname === '/login' && after.ok(), `${lang} logout: the account page asks to log in again`, page.url());
      await context.close();
    }
    // Another site's form, without this site's form cookie, logs nobody in.
    const { context } = await reader('en');
    const forged = await context.request.post(`${base}/login`, {
      form: { email: process.env.VITRINE_LOGIN_EMAIL, password: process.env.VITRINE_PASSWORD, csrf: 'x'.repeat(32) },
      maxRedirects: 0,
    });
    check(forged.status() === 403, 'a login form without the form cookie is refused', String(forged.status()));
    check(!(forged.headers()['set-cookie'] || '').includes('vitrine_session'), 'and it sets no session');
    await context.close();
  }

  // Verification in the browser: an entry page verifies itself; a tender's timeline
  // verifies every entry; a receipt changed on its way fails and says why.
  {
    const { context, page } = await reader('en');
    await page.goto(`${base}/entries/1`);
    await verifiedState(page, '[data-verify-index]');
    const state = await page.getAttribute('[data-verify-index]', 'data-verify-state');
    check(state === 'ok', 'an entry verifies in the browser', await page.textContent('[data-verify-result]'));

    await page.goto(`${base}/tenders/${encodeURIComponent(tenders[0])}`);
    await page.click('[data-verify-all]');
    await verifiedState(page, '.timeline [data-verify-index]');
    const states = await page.$$eval('.timeline [data-verify-index]', (els) => els.map((e) => e.dataset.verifyState));
    check(states.length > 5 && states.every((s) => s === 'ok'), `every entry of a tender verifies (${states.length})`, states.join(' '));

    const tamper = {
      'one byte of an entry': (r) => {
        const s = JSON.stringify(r.entry.statement.subject);
        const flipped = s.slice(0, -2) + (s.at(-2) === 'x' ? 'y' : 'x') + s.at(-1);
        return { ...r, entry: { ...r.entry, statement: { ...r.entry.statement, subject: JSON.parse(flipped) } } };
      },
      'a proof hash': (r) => {
        const proof = [...r.inclusion_proof];
        const h = Buffer.from(proof[0], 'base64');
        h[5] ^= 1;
        proof[0] = h.toString('base64');
        return { ...r, inclusion_proof: proof };
      },
      'the checkpoint signature': (r) => {
        const lines = r.checkpoint.split('\n');
        const i = lines.findIndex((l) => l.startsWith('\u2014 '));
        const parts = lines[i].split(' ');
        const sig = Buffer.from(parts[2], 'base64');
        sig[20] ^= 1;
        parts[2] = sig.toString('base64');
        lines[i] = parts.join(' ');
        return { ...r, checkpoint: lines.join('\n') };
      },
    };
    for (const [what, change] of Object.entries(tamper)) {
      await page.route('**/api/v1/entries/*/receipt', async (route) => {
        const response = await route.fetch();
        const receipt = await response.json();
        await route.fulfill({ response, body: JSON.stringify(change(receipt)) });
      });
      await page.goto(`${base}/entries/1`);
      await verifiedState(page, '[data-verify-index]');
      const s = await page.getAttribute('[data-verify-index]', 'data-verify-state');
      const message = (await page.textContent('[data-verify-result]')) || '';
      check(s === 'failed' && message.length > 10, `tampering with ${what} is caught`, `${s}: ${message}`);
      console.log(`ok   - tampering with ${what}: "${message}"`);
      await page.unroute('**/api/v1/entries/*/receipt');
    }

    // A key the reader trusts instead: a wrong one fails every entry, the right one passes.
    const offered = await page.getAttribute('#verifier', 'data-verifier-key');
    const [name] = offered.split('+');
    const wrong = `${name}+00000000+${Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7)]).toString('base64')}`;
    await page.goto(`${base}/entries/1`);
    await verifiedState(page, '[data-verify-index]');
    await page.click('#verifier summary');
    await page.fill('[data-verify-key]', wrong);
    await page.click('[data-verify-run]');
    await page.waitForFunction(() => document.querySelector('[data-verify-index]').dataset.verifyState === 'failed');
    check(true, 'a pasted key that is not the log\'s fails the entry');
    await page.fill('[data-verify-key]', offered);
    await page.click('[data-verify-run]');
    await page.waitForFunction(() => document.querySelector('[data-verify-index]').dataset.verifyState === 'ok');
    check(true, 'the log\'s own key pasted passes');
    await page.fill('[data-verify-key]', '');

    // Consistency: up to the newest signed checkpoint it verifies (saying the older root
    // is only the server's word without a checkpoint of the reader's); up to a size no
    // signed checkpoint vouches for it does not; a pasted checkpoint that is not one fails.
    const consistency = async (url, pasted = '') => {
      await page.goto(`${base}${url}`);
      if (pasted) await page.fill('[data-old-checkpoint]', pasted);
      await page.click('[data-verify-consistency]');
      await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-consistency]').dataset.verifyState));
      return [await page.getAttribute('[data-consistency]', 'data-verify-state'), await page.textContent('[data-consistency-result]')];
    };
    const [upToNewest, said] = await consistency('/consistency?from=1');
    check(upToNewest === 'ok' && said.length > 10, 'a consistency proof to the newest checkpoint verifies', said);
    const size = Number(await page.getAttribute('[data-consistency]', 'data-to'));
    const [unsigned, why] = await consistency(`/consistency?from=1&to=${size - 1}`);
    check(unsigned === 'failed' && why.includes(String(size)), 'one to a size no signed checkpoint names does not', `${unsigned}: ${why}`);
    const [garbage] = await consistency('/consistency?from=1', 'not a checkpoint');
    check(garbage === 'failed', 'nor one against a pasted text that is not a checkpoint');
    await context.close();
  }
} catch (e) {
  check(false, 'the browser tests ran to the end', e.stack || String(e));
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
console.log(`browser-pages: ${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed ? 1 : 0);
