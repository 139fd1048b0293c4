// Charity's public pages in headless Chromium, both languages: the funds, a fund's page
// with its balance chart and its flow diagram drawn as inline SVG (a point a day, a band a
// source or recipient), its tables; where a donation went, across funds; where a
// disbursement's money came from; the supervisor's view flagging what it must; a donor
// opening their receipt file, checked in the browser, landing on their donation's trace,
// and a tampered receipt refused with a readable message; the plain code form; a fund
// that does not exist. axe-core finds no serious violation; no script error or CSP
// violation. Run by server/tests/e2e/charity_pages.rs, which seeds the scenario:
//
//   VITRINE_URL=http://127.0.0.1:PORT VITRINE_FUND=… VITRINE_SCHOOL=… VITRINE_OLD=…
//   VITRINE_POINTS=n VITRINE_BANDS=n VITRINE_SCHOOL_BANDS=n VITRINE_DONATIONS=n
//   VITRINE_DISBURSEMENTS=n VITRINE_RECEIPT=file VITRINE_TAMPERED=file
//   VITRINE_RECEIPT_DONATION=n VITRINE_FLAGGED=fund#seq VITRINE_SOURCES=n node charity.mjs
import path from 'node:path';
import { artefacts, axe, base, check, launch, tally, watchdog as deadline } from './common.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`set ${name}`);
    process.exit(2);
  }
  return value;
};
const fund = env('VITRINE_FUND');
const school = env('VITRINE_SCHOOL');
const old = env('VITRINE_OLD');
const points = Number(env('VITRINE_POINTS'));
const bands = Number(env('VITRINE_BANDS'));
const schoolBands = Number(env('VITRINE_SCHOOL_BANDS'));
const donations = Number(env('VITRINE_DONATIONS'));
const disbursements = Number(env('VITRINE_DISBURSEMENTS'));
const receipt = env('VITRINE_RECEIPT');
const tampered = env('VITRINE_TAMPERED');
const receiptDonation = env('VITRINE_RECEIPT_DONATION');
const flagged = env('VITRINE_FLAGGED');
const sources = Number(env('VITRINE_SOURCES'));

const browser = await launch();
const watchdog = deadline(90);

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

const count = (page, selector) => page.locator(selector).count();

/** Visits `url` and checks what every page owes its reader; returns the main text. */
async function visit(page, lang, name, url, status = 200) {
  page.problems = [];
  const response = await page.goto(base + url, { waitUntil: 'networkidle' });
  check(response.status() === status, `${lang} ${name}: status`, `${url} answered ${response.status()}, not ${status}`);
  check(await page.getAttribute('html', 'lang') === lang, `${lang} ${name}: <html lang>`);
  const text = await page.evaluate(() => document.querySelector('main').innerText);
  const keys = text.match(/\b(js|fund|funds|trace|watch|sources|channel|due)\.[a-z_]+\b/g)?.filter((k) => !k.includes(fund));
  check(!keys?.length, `${lang} ${name}: no message key shown`, String(keys));
  check(await count(page, 'main h1') === 1, `${lang} ${name}: one main heading`);
  await axe(page, `charity-${lang}-${name}`);
  check(page.problems.length === 0, `${lang} ${name}: no script error or CSP violation`, page.problems.join('\n       '));
  return text;
}

const enc = encodeURIComponent;

try {
  for (const lang of ['zh-CN', 'en']) {
    const { context, page } = await reader(lang);
    const words = lang === 'en' ? { in: 'Money in', out: 'Money out' } : { in: '资金来源', out: '资金去向' };

    await visit(page, lang, 'funds', '/funds');
    check(await count(page, 'table.funds tbody tr') === 3, `${lang} funds: every fund listed`, String(await count(page, 'table.funds tbody tr')));
    check(await count(page, `.site-header nav a[href="/funds"]`) === 1, `${lang}: the navigation leads to the funds`);

    const text = await visit(page, lang, 'fund', `/funds/${enc(fund)}`);
    const chartPoints = await count(page, 'svg.balance-chart circle.point');
    check(chartPoints === points, `${lang} fund: the balance chart has a point a day`, `${chartPoints}, not ${points}`);
    check(await count(page, 'svg.balance-chart > title') === 1 && await count(page, 'svg.balance-chart > desc') === 1,
      `${lang} fund: the chart has its title and description`);
    check(await count(page, 'details.chart-table tbody tr') === points, `${lang} fund: the chart's table fallback`);
    const flowBands = await count(page, 'svg.flow path.band');
    check(flowBands === bands, `${lang} fund: the flow diagram has a band a source and recipient`, `${flowBands}, not ${bands}`);
    check(await count(page, 'table.money-in tbody tr') + await count(page, 'table.money-out tbody tr') === bands,
      `${lang} fund: the flow's tables list the same`);
    check(await count(page, `svg.flow a[href="/funds/${school}"]`) === 1, `${lang} fund: the flow links to the fund it paid`);
    // Bands are as wide as their amounts: the widest band in is the largest channel's.
    const widths = await page.$$eval('svg.flow path.band-in', (els) => els.map((e) => e.getBBox().height));
    check(widths.length > 1 && widths[0] >= Math.max(...widths) - 0.5, `${lang} fund: bands are ordered and sized by amount`, widths.join(' '));
    check(text.includes(words.in) && text.includes(words.out), `${lang} fund: in the reader's language`);
    check(await count(page, 'table.donations tbody tr') === donations, `${lang} fund: the donations`, String(await count(page, 'table.donations tbody tr')));
    check(await count(page, 'table.disbursements tbody tr') === disbursements, `${lang} fund: the disbursements`);
    check(await count(page, 'table.disbursements a[href^="/entries/"]') >= 4, `${lang} fund: paid and acknowledged link their entries`);
    check(await count(page, 'table.disbursements a[href^="/api/v1/documents/"]') >= 2, `${lang} fund: evidence links to its documents`);
    check(await count(page, 'table.calendar tbody tr') >= 1, `${lang} fund: the disclosure calendar`);
    check(await count(page, `a[href="/api/v1/funds/${fund}/export.csv"]`) === 1, `${lang} fund: the exports`);

    await visit(page, lang, 'school-fund', `/funds/${enc(school)}`);
    check(await count(page, 'svg.flow path.band') === schoolBands, `${lang} school fund: its flow diagram`);
    check(await count(page, `svg.flow a[href="/funds/${fund}"]`) === 1, `${lang} school fund: the flow links to the fund it came from`);

    await visit(page, lang, 'old-fund', `/funds/${enc(old)}`);
    check(await count(page, 'table.calendar .due-status-overdue') >= 1, `${lang} old fund: overdue disclosures are marked`);
    check(await count(page, 'p.notice-bad') === 1, `${lang} old fund: and said at the top`);

    await visit(page, lang, 'donation', `/funds/${enc(fund)}/donations/${receiptDonation}`);
    check(await count(page, 'section.hop') === 2, `${lang} donation: traced into the fund it was paid to`, String(await count(page, 'section.hop')));
    check(await count(page, `section.hop[data-hop-fund="${school}"] li.part`) >= 1, `${lang} donation: and on to its recipient there`);
    check(await count(page, 'a[href="#hop-1"]') === 1, `${lang} donation: the part that continues leads to it`);

    await visit(page, lang, 'disbursement', `/funds/${enc(fund)}/disbursements/2`);
    check(await count(page, 'table.came-from tbody tr') === sources, `${lang} disbursement: the donations it took from`);

    await visit(page, lang, 'watch', '/supervision/charity?days=0');
    const [flagFund, flagSeq] = flagged.split('#');
    check(await count(page, `#unacknowledged tr[data-flagged="${flagFund}#${flagSeq}"]`) === 1, `${lang} watch: an unacknowledged disbursement is listed`);
    check(await count(page, `#without-evidence tr[data-flagged="${flagFund}#${flagSeq}"]`) === 1, `${lang} watch: a disbursement without evidence is listed`);
    check(await count(page, `#overdue-disclosures tr[data-overdue="${old}"]`) >= 1, `${lang} watch: overdue disclosures are listed`);
    check(await count(page, '#fund-totals tbody tr') === 3, `${lang} watch: every fund's totals`);
    await visit(page, lang, 'watch-30-days', '/supervision/charity');
    check(await count(page, '#unacknowledged') === 0, `${lang} watch: nothing paid a month ago waits`);
    await visit(page, lang, 'watch-bad-days', '/supervision/charity?days=many', 400);
    check(await count(page, '#w-days[aria-invalid="true"]') === 1, `${lang} watch: a bad number of days is marked`);

    const missing = await visit(page, lang, 'unknown-fund', '/funds/no-such-fund', 404);
    check(missing.includes('no-such-fund'), `${lang} unknown fund: the page names it`, missing.slice(0, 200));

    // The donor opens their receipt file: checked here, then the trace.
    await visit(page, lang, 'trace', '/trace');
    const state = () => page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-trace-result]')?.dataset.traceState), null, { timeout: 20000 });
    await page.setInputFiles('#receipt-file', receipt);
    await state();
    const result = await page.textContent('[data-trace-result]');
    check(await page.getAttribute('[data-trace-result]', 'data-trace-state') === 'ok', `${lang} trace: the receipt verifies in the browser`, result);
    check(await count(page, '[data-trace-result] .check-ok') >= 3, `${lang} trace: each check is marked ok`, result);
    check(await count(page, '[data-trace-result] .donor-data dd') >= 1, `${lang} trace: the donor sees their own data`);
    check(await page.getAttribute('[data-trace-found]', 'data-trace-donation') === receiptDonation
      && await count(page, `[data-trace-found] #trace[data-fund="${fund}"] section.hop`) === 2, `${lang} trace: it lands on that donation's trace`);
    await axe(page, `charity-${lang}-trace-verified`);
    check(page.problems.length === 0, `${lang} trace: no script error`, page.problems.join('\n       '));
    await page.screenshot({ path: path.join(artefacts, `charity-${lang}-trace-verified-full.png`), fullPage: true });

    await page.setInputFiles('#receipt-file', tampered);
    await page.waitForFunction(() => document.querySelector('[data-trace-result] .check-failed'), null, { timeout: 20000 });
    const refusal = (await page.textContent('[data-trace-result] .check-failed')).trim();
    check(await page.getAttribute('[data-trace-result]', 'data-trace-state') === 'failed', `${lang} trace: a tampered receipt is refused`, refusal);
    check(refusal.length > 20 && !/\b(js|verify)\.[a-z_.]+/.test(refusal), `${lang} trace: with a readable message`, refusal);
    check(await count(page, '[data-trace-found] #trace') === 0, `${lang} trace: and no trace`);
    await page.screenshot({ path: path.join(artefacts, `charity-${lang}-trace-refused.png`), fullPage: true });

    // The code on the receipt, as a plain form.
    await page.fill('#code-fund', fund);
    await page.fill('#code-donation', receiptDonation);
    await Promise.all([page.waitForURL(`**/funds/${fund}/donations/${receiptDonation}`), page.click('form[action="/trace"] button[type="submit"]')]);
    check(await count(page, 'section.hop') === 2, `${lang} trace: the code leads to the same trace`);
    await visit(page, lang, 'trace-bad-code', '/trace?fund=no%20spaces&donation=x', 400);
    check(await count(page, '.field-error') === 2, `${lang} trace: a bad code is marked field by field`);
    await context.close();
  }

  // Without scripts the code still works, and the file form says why it needs them.
  {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'en', extraHTTPHeaders: { 'accept-language': 'en' } });
    const page = await context.newPage();
    await page.goto(`${base}/trace`);
    check(await page.locator('[data-trace]').isHidden(), 'no scripts: the file form is hidden');
    await page.fill('#code-fund', fund);
    await page.fill('#code-donation', receiptDonation);
    await Promise.all([page.waitForURL(`**/funds/${fund}/donations/${receiptDonation}`), page.click('form[action="/trace"] button[type="submit"]')]);
    check(await page.locator('section.hop').count() === 2, 'no scripts: the code leads to the trace');
    await axe(page, 'charity-en-donation-no-scripts', { scriptsOff: true });
    await context.close();
  }
} catch (e) {
  check(false, 'the charity pages run to the end', String(e?.stack ?? e));
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
console.log(`charity pages: ${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed ? 1 : 0);
