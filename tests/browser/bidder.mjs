// A bidder's work in headless Chromium, through the pages only: a supplier applies to
// register with a key made in the browser; a bidder representative logs in, asks a
// question, seals a bid, replaces it, and reveals it after the deadline with its
// organisation's key file. Every request the page makes is recorded: none before the
// reveal may carry the price, a document or a document's hash.
//
//   VITRINE_URL, VITRINE_TENDER, VITRINE_EMAIL, VITRINE_PASSWORD, VITRINE_KEY_FILE (text),
//   VITRINE_REGISTER_CODE (a valid unified social credit code), VITRINE_ARTEFACTS
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { artefacts, axe as checkAxe, base, check, launch, tally, watchdog as deadline } from './common.mjs';

const tender = process.env.VITRINE_TENDER;
const PRICE = '987654.32';
const FIRST_PRICE = '999999.99';
const DOCUMENT = `技术方案与报价明细 ${Date.now()}`;

const browser = await launch();
const watchdog = deadline(240);

async function statusOf(id) {
  const r = await fetch(`${base}/api/v1/tenders/${encodeURIComponent(id)}`);
  return (await r.json()).status;
}
async function waitStatus(id, status) {
  for (let i = 0; i < 600; i++) {
    if (await statusOf(id) === status) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`tender ${id} never reached ${status}`);
}
/** The accessibility check; its screenshot is named `bidder-<name>`. */
const axe = (page, name) => checkAxe(page, `bidder-${name}`);
async function newPage(lang = 'en') {
  const context = await browser.newContext({ locale: lang, extraHTTPHeaders: { 'accept-language': lang }, acceptDownloads: true });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.problems.push(m.text()); });
  return { context, page };
}
async function saved(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(artefacts, download.suggestedFilename());
  await download.saveAs(file);
  return file;
}

try {
  // 1. A supplier applies to register; its key is made in the page and offered as a file.
  {
    const { context, page } = await newPage('zh-CN');
    await page.goto(`${base}/register`);
    await axe(page, 'register');
    const named = JSON.parse(await page.textContent('#vitrine-refusals'));
    check(/^\/static\/refusals\/zh-CN\.json\?v=[0-9a-f]{16}$/.test(named), "the page names the refusals' sentences instead of carrying them", named);
    await page.fill('#r-id', 'browser-supplier');
    await page.fill('#r-name', '浏览器供应商有限公司');
    await page.fill('#r-code', 'not-a-code');
    await page.fill('#r-display', '张三');
    await page.fill('#r-email', 'admin@browser-supplier.example');
    await page.fill('#r-password', 'a long enough passphrase');
    await page.click('form[data-register] button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('form[data-register]').dataset.state === 'failed');
    const shown = await page.textContent('[data-error-for="credit_code"]');
    check(await page.isVisible('[data-error-for="credit_code"]') && shown.length > 5, 'a bad credit code is refused next to its field', shown);
    check(shown.includes('统一社会信用代码为 18 位') && !shown.includes('unified social'), "the API's refusal is said in the reader's language", shown);
    // How the signing script says keyed refusals: a sentence within another, a word an
    // argument names, and arguments put in as they are.
    const said = await page.evaluate(async () => {
      const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.includes('/sign.js'));
      const { detailOf, Refused, loadRefusals } = await import(url);
      await loadRefusals();
      return [
        detailOf({ detail: 'x', detail_key: 'body.invalid', detail_args: { field: 'body.lots[0]', why: 'body.title is missing' }, detail_why: { key: 'body.missing', args: { field: 'body.title' } } }),
        detailOf({ detail: 'x', detail_key: 'user.role_unfit', detail_args: { org_kind: 'supplier', role: 'supervisor' } }),
        new Refused({ detail: 'x', detail_key: 'user.taken', detail_args: { email: '{role}$&@example.org' } }).message,
        detailOf({ detail: 'the English', detail_key: 'no.such_key', detail_args: {} }),
      ];
    });
    check(said[0] === 'body.lots[0]：缺少 body.title', 'a refusal within another is said in Chinese', said[0]);
    check(said[1] === '“供应商”类机构没有“监督人员”角色', "a role and a kind are said in the reader's words", said[1]);
    check(said[2].includes('{role}$&@example.org 已有账户'), 'arguments are put in as they are', said[2]);
    check(said[3] === 'the English', 'a sentence the page does not have stays in English', said[3]);
    check(await page.inputValue('#r-name') === '浏览器供应商有限公司', 'what the applicant typed is kept');
    await page.fill('#r-code', process.env.VITRINE_REGISTER_CODE);
    await page.click('form[data-register] button[type="submit"]');
    await page.waitForSelector('[data-register-done][data-state="ok"]');
    const keyFile = await saved(page, '[data-key-download]');
    const text = readFileSync(keyFile, 'utf8');
    check(/^PRIVATE\+KEY\+browser-supplier\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{44}\n$/.test(text), 'the key file is in the format vitrine keygen writes', text.slice(0, 40));
    const verifier = await page.textContent('[data-public-key]');
    writeFileSync(path.join(artefacts, 'registered.pub'), `${verifier}\n`);
    check(page.problems.length === 0, 'registration: no script error', page.problems.join('; '));
    await page.screenshot({ path: path.join(artefacts, 'zh-CN-register-done.png'), fullPage: true });
    await context.close();
  }

  // 2. A bidder representative logs in and works on the tender; every request is watched.
  const { context, page } = await newPage('en');
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() || '' }));
  await page.goto(`${base}/tenders/${encodeURIComponent(tender)}/bid`);
  check(new URL(page.url()).pathname === '/login', 'the workspace asks a stranger to log in first');
  await page.fill('#email', process.env.VITRINE_EMAIL);
  await page.fill('#password', process.env.VITRINE_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  check(new URL(page.url()).pathname === `/tenders/${tender}/bid`, 'and comes back to it', page.url());
  await axe(page, 'bid workspace');
  await page.screenshot({ path: path.join(artefacts, 'en-bid-workspace.png'), fullPage: true });

  // A question, anonymous to the public.
  await page.fill('#question', 'Is a five-year warranty accepted?');
  await page.click('form[data-ask] button[type="submit"]');
  await page.waitForSelector('form[data-ask] output[data-state]');
  check(await page.getAttribute('form[data-ask] output', 'data-state') === 'ok', 'the question is logged', await page.textContent('form[data-ask] output'));

  await waitStatus(tender, 'active.tendering');
  await page.reload();
  // A bad price is refused in the page, nothing sent.
  const before = requests.length;
  await page.fill('#price', '12,5');
  await page.click('form[data-commit] button[type="submit"]');
  const refusedPrice = await page.waitForSelector('[data-error-for="price"]', { state: 'visible', timeout: 15000 }).then(() => true, () => false);
  check(refusedPrice, 'a malformed price is refused next to its field');
  check(requests.slice(before).every((r) => r.method === 'GET'), 'and nothing is sent');
  // The first sealed bid, then its replacement.
  const document = { name: 'offer.txt', mimeType: 'text/plain', buffer: Buffer.from(DOCUMENT) };
  await page.fill('#price', FIRST_PRICE);
  await page.setInputFiles('#documents', document);
  await page.click('form[data-commit] button[type="submit"]');
  await page.waitForSelector('form[data-commit] output[data-state]');
  check(await page.getAttribute('form[data-commit] output', 'data-state') === 'ok', 'the sealed bid is logged', await page.textContent('form[data-commit] output'));
  await page.fill('#price', PRICE);
  await page.setInputFiles('#documents', document);
  await page.evaluate(() => { document.querySelector('form[data-commit] output').removeAttribute('data-state'); });
  await page.click('form[data-commit] button[type="submit"]');
  await page.waitForSelector('form[data-commit] output[data-state]');
  check(await page.getAttribute('form[data-commit] output', 'data-state') === 'ok', 'the replacement is logged', await page.textContent('form[data-commit] output'));
  const bidFile = await saved(page, '[data-bid-download]');
  const bid = JSON.parse(readFileSync(bidFile, 'utf8'));
  check(bid.bid.price.amount === PRICE && bid.salt.length === 64 && bid.one_time_key.startsWith('PRIVATE+KEY+'), 'the bid file holds the bid, its salt and its one-time key');
  const sealed = await (await fetch(`${base}/api/v1/tenders/${encodeURIComponent(tender)}`)).json();
  check(sealed.number_of_bids === 1 && sealed.bids === null, 'the public sees one standing bid and nothing of it', JSON.stringify(sealed.bids));

  // Nothing sent before the reveal carries the price, the document or its hash.
  const docHash = bid.bid.documents[0].sha256;
  const leaks = requests.filter((r) => [PRICE, FIRST_PRICE, DOCUMENT, docHash].some((s) => r.body.includes(s) || r.url.includes(s)));
  check(requests.some((r) => r.method === 'POST' && r.url.endsWith('/api/v1/statements')), 'statements were sent');
  check(leaks.length === 0, `no request before the reveal carries the price or a document (${requests.length} watched)`, leaks.map((l) => `${l.method} ${l.url}`).join('; '));
  await context.close();

  // 3. After the deadline, in a fresh browser: the bid file and the key file reveal it.
  await waitStatus(tender, 'opening');
  const second = await newPage('zh-CN');
  await second.page.goto(`${base}/login?next=/tenders/${encodeURIComponent(tender)}/bid`);
  await second.page.fill('#email', process.env.VITRINE_EMAIL);
  await second.page.fill('#password', process.env.VITRINE_PASSWORD);
  await Promise.all([second.page.waitForNavigation(), second.page.click('button[type="submit"]')]);
  await second.page.setInputFiles('[data-bid-file]', bidFile);
  const keyPath = path.join(artefacts, 'bidder.key');
  writeFileSync(keyPath, process.env.VITRINE_KEY_FILE);
  await second.page.setInputFiles('[data-key-file]', keyPath);
  await second.page.setInputFiles('[data-reveal-documents]', { name: 'other.txt', mimeType: 'text/plain', buffer: Buffer.from('another document') });
  await second.page.click('form[data-reveal] button[type="submit"]');
  // The page hashes the files before it says so: wait for it (a loaded machine is slow).
  const refusedDocuments = await second.page.waitForSelector('[data-error-for="reveal_documents"]', { state: 'visible', timeout: 15000 }).then(() => true, () => false);
  check(refusedDocuments, 'other documents than the committed ones are refused');
  await second.page.setInputFiles('[data-reveal-documents]', document);
  await second.page.click('form[data-reveal] button[type="submit"]');
  await second.page.waitForSelector('form[data-reveal] output[data-state]:not([data-state=""])');
  await second.page.waitForFunction(() => document.querySelector('form[data-reveal] output').textContent !== '处理中…');
  check(await second.page.getAttribute('form[data-reveal] output', 'data-state') === 'ok', 'the bid is revealed', await second.page.textContent('form[data-reveal] output'));
  const view = await (await fetch(`${base}/api/v1/tenders/${encodeURIComponent(tender)}`)).json();
  const revealed = (view.bids || []).find((b) => b.status === 'revealed');
  check(revealed && revealed.price.amount === PRICE, 'the public now sees the revealed price', JSON.stringify(view.bids));
  check(second.page.problems.length === 0, 'the reveal: no script error', second.page.problems.join('; '));
  await second.page.screenshot({ path: path.join(artefacts, 'zh-CN-bid-revealed.png'), fullPage: true });
  await second.context.close();
} catch (e) {
  check(false, 'the bidder tests ran to the end', e.stack || String(e));
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
console.log(`browser-bidder: ${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed ? 1 : 0);
