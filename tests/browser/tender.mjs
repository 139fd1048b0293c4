// A whole tender through the pages only, in headless Chromium: a buyer's officer sets up
// its second factor, drafts, publishes, answers a question, disqualifies, awards and signs
// the contract; three bidders ask, seal, reveal, complain and countersign; a supervisor
// decides the complaint; then every entry of the tender verifies in the browser.
//
//   VITRINE_URL, VITRINE_PASSWORD, VITRINE_OFFICER (e-mail), VITRINE_OFFICER_KEY (key file text),
//   VITRINE_SUPERVISOR, VITRINE_SUPERVISOR_KEY, VITRINE_BIDDERS (JSON [{email, key, org}]),
//   VITRINE_ARTEFACTS
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { artefacts, axe, base, check, launch, tally, totp, watchdog as deadline } from './common.mjs';

const password = process.env.VITRINE_PASSWORD;
const bidders = JSON.parse(process.env.VITRINE_BIDDERS);
const TENDER = 'ocds-vtest1-pages01';
const PRICES = ['980000.00', '1150000.00', '1020000.00'];

const browser = await launch();
const watchdog = deadline(420);

function keyFile(name, text) {
  const file = path.join(artefacts, `${name}.key`);
  writeFileSync(file, text);
  return file;
}
async function tender() {
  return (await fetch(`${base}/api/v1/tenders/${TENDER}`)).json();
}
async function waitStatus(status) {
  for (let i = 0; i < 900; i++) {
    const t = await tender();
    if (t.status === status) return t;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the tender never reached ${status}`);
}
async function person(lang, email) {
  const context = await browser.newContext({ locale: lang, timezoneId: 'Asia/Shanghai', extraHTTPHeaders: { 'accept-language': lang }, acceptDownloads: true });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  return { context, page };
}
/** Turns on the account's second factor in its page, with a code computed here. */
async function secondFactor(page) {
  await page.goto(`${base}/me`);
  await Promise.all([page.waitForNavigation(), page.click('#totp-start button')]);
  const secret = (await page.textContent('[data-totp-secret]')).trim();
  await page.fill('#totp-confirm-code', totp(secret));
  await Promise.all([page.waitForNavigation(), page.click('#totp-confirm button')]);
  await page.waitForSelector('.notice-ok');
}
/** Saves the draft editor's form (a plain form) and checks the page says it is saved. */
async function saveDraft(page, what) {
  await Promise.all([page.waitForNavigation(), page.click('#draft button[type="submit"]')]);
  check(await page.locator('.notice-ok').count() === 1, what, (await page.textContent('main')).slice(0, 400));
}
/** Submits `form` (a locator) and waits for its verdict; answers the output's text. */
async function submit(page, form, what, { reload = true } = {}) {
  const output = form.locator('output[data-result]');
  await form.locator('button[type="submit"]').click();
  await page.waitForFunction((el) => el.dataset.state && !['…'].some((s) => el.textContent.endsWith(s)), await output.elementHandle());
  const text = await output.textContent();
  const ok = check(await output.getAttribute('data-state') === 'ok', what, text);
  if (ok && reload) await page.waitForEvent('load', { timeout: 10000 }).catch(() => {});
  return text;
}
const local = (ms) => new Date(Date.now() + ms + 8 * 3600 * 1000).toISOString().slice(0, 19); // Asia/Shanghai

try {
  // 1. The officer: second factor, draft, publish.
  const officer = await person('zh-CN', process.env.VITRINE_OFFICER);
  const op = officer.page;
  await secondFactor(op);
  check(true, 'the officer turns on a second factor in the page');
  await op.goto(`${base}/buyer`);
  await axe(op, 'zh-CN buyer desk');
  await op.fill('#new-id', TENDER);
  await Promise.all([op.waitForNavigation(), op.click('form[action="/buyer/drafts/new"] button')]);
  check(new URL(op.url()).pathname === `/buyer/drafts/${TENDER}`, 'a draft is started', op.url());
  await op.fill('#d-title-zh', '福州市政务云服务器采购（页面）');
  await op.fill('#d-title-en', 'Fuzhou cloud servers (pages)');
  await op.fill('#d-desc-zh', '采购服务器 40 台及三年维保。');
  await op.fill('#d-region', 'CN-FJ');
  await op.fill('#d-amount', '1200000.00');
  await op.fill('#lot-0-id', 'lot-1');
  await op.fill('#lot-0-title', '服务器');
  await op.fill('#lot-0-value', '1200000.00');
  // Saved once without dates: the problems are listed.
  await saveDraft(op, 'a partial draft is saved');
  await op.waitForSelector('[data-problems] li');
  check(await op.locator('[data-problems] li').count() > 0, 'and what is missing is listed');
  await op.setInputFiles('#d-upload', { name: '招标文件.txt', mimeType: 'text/plain', buffer: Buffer.from(`招标文件 ${Date.now()}`) });
  await op.waitForFunction(() => document.querySelector('#doc-0-sha').value.length === 64);
  const published = Date.now();
  await op.fill('#d-enquiry_end', local(40000));
  await op.fill('#d-tender_end', local(70000));
  await op.fill('#d-reveal_end', local(100000));
  await op.fill('#d-standstill', '20');
  await op.fill('#d-notice', '2');
  await saveDraft(op, 'the complete draft is saved');
  await op.waitForSelector('[data-ready]');
  check(true, 'the draft is ready');
  await axe(op, 'zh-CN draft');
  await op.setInputFiles('[data-signing-key]', keyFile('officer', process.env.VITRINE_OFFICER_KEY));
  await op.waitForSelector('[data-signer-status].verify-ok');
  await op.click('form[data-publish] button[type="submit"]');
  await op.waitForURL(`**/tenders/${TENDER}/manage`);
  const t0 = await tender();
  check(t0.status === 'active.enquiries' && t0.tender.enquiry_end === new Date(published + 40000).toISOString().replace(/\.\d+Z$/, 'Z'),
    'the tender is published, its deadlines read in the officer\'s zone', JSON.stringify(t0.tender.enquiry_end));

  // 2. Bidders log in; B asks; the officer answers.
  const people = [];
  for (const [i, b] of bidders.entries()) {
    const p = await person(i === 1 ? 'en' : 'zh-CN', b.email);
    await p.page.goto(`${base}/tenders/${TENDER}/bid`);
    people.push(p);
  }
  const bp = people[1].page;
  await bp.fill('#question', 'Is a five-year warranty accepted?');
  await submit(bp, bp.locator('form[data-ask]'), 'bidder B asks a question', { reload: false });
  await op.reload();
  await op.setInputFiles('[data-signing-key]', keyFile('officer', process.env.VITRINE_OFFICER_KEY));
  await op.waitForSelector('[data-signer-status].verify-ok');
  const answer = op.locator('form[data-kind="enquiry.answered"]').first();
  await answer.locator('textarea').fill('接受，但不额外加分。');
  await submit(op, answer, 'the officer answers it');

  // 3. Sealed bids.
  await waitStatus('active.tendering');
  for (const [i, p] of people.entries()) {
    await p.page.reload();
    await p.page.fill('#price', PRICES[i]);
    await p.page.setInputFiles('#documents', { name: 'offer.txt', mimeType: 'text/plain', buffer: Buffer.from(`offer of ${bidders[i].org}`) });
    await submit(p.page, p.page.locator('form[data-commit]'), `bidder ${'ABC'[i]} seals a bid`, { reload: false });
  }
  check((await tender()).number_of_bids === 3, 'three sealed bids, nothing of them public');

  // 4. Reveals.
  await waitStatus('opening');
  for (const [i, p] of people.entries()) {
    await p.page.reload();
    await p.page.setInputFiles('[data-key-file]', keyFile(bidders[i].org, bidders[i].key));
    await p.page.setInputFiles('[data-reveal-documents]', { name: 'offer.txt', mimeType: 'text/plain', buffer: Buffer.from(`offer of ${bidders[i].org}`) });
    await submit(p.page, p.page.locator('form[data-reveal]'), `bidder ${'ABC'[i]} reveals`, { reload: false });
  }

  // 5. Evaluation: A disqualified, C awarded.
  await waitStatus('evaluation');
  await op.reload();
  await op.setInputFiles('[data-signing-key]', keyFile('officer', process.env.VITRINE_OFFICER_KEY));
  await op.waitForSelector('[data-signer-status].verify-ok');
  const commitments = (await tender()).bids.filter((b) => b.status === 'revealed');
  const a = commitments.find((b) => b.bidder === bidders[0].org);
  const dq = op.locator(`form[data-kind="bid.disqualified"]:has(input[value="${a.commitment}"])`);
  await dq.locator('input[name="reason"]').fill('资格审查未通过');
  await submit(op, dq, 'the officer disqualifies A with a reason');
  await op.setInputFiles('[data-signing-key]', keyFile('officer', process.env.VITRINE_OFFICER_KEY));
  await op.waitForSelector('[data-signer-status].verify-ok');
  const c = commitments.find((b) => b.bidder === bidders[2].org);
  const awardForm = op.locator('form[data-kind="award.made"]');
  check(await awardForm.locator('select[name="commitment"]').inputValue() === c.commitment, 'the lowest valid bid is offered first');
  await awardForm.locator('#award-report').setInputFiles({ name: '评标报告.txt', mimeType: 'text/plain', buffer: Buffer.from(`评标报告 ${Date.now()}`) });
  await axe(op, 'zh-CN manage award');
  await submit(op, awardForm, 'the officer awards C');
  const awarded = await waitStatus('awarded');

  // 6. A complains; the supervisor dismisses it.
  const ap = people[0].page;
  await ap.reload();
  await ap.fill('#complaint-text', '取消我方资格的理由不成立');
  await ap.setInputFiles('#complaint-key', keyFile(bidders[0].org, bidders[0].key));
  await submit(ap, ap.locator('form[data-complain]'), 'bidder A files a complaint', { reload: false });
  const supervisor = await person('en', process.env.VITRINE_SUPERVISOR);
  const sp = supervisor.page;
  await secondFactor(sp);
  await sp.goto(`${base}/supervision`);
  await axe(sp, 'en supervision');
  await sp.setInputFiles('[data-signing-key]', keyFile('supervisor', process.env.VITRINE_SUPERVISOR_KEY));
  await sp.waitForSelector('[data-signer-status].verify-ok');
  const decide = sp.locator('form[data-kind="complaint.decided"]').first();
  await decide.locator('select').selectOption('dismissed');
  await decide.locator('textarea').fill('Disqualification upheld on review.');
  await submit(sp, decide, 'the supervisor dismisses the complaint');
  check((await tender()).complaints[0].status === 'dismissed', 'the decision is on the tender');

  // 7. The contract, signed by both; a payment; complete.
  const wait = Date.parse(awarded.awards[0].standstill_end) - Date.now() + 1500;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await op.reload();
  await op.setInputFiles('[data-signing-key]', keyFile('officer', process.env.VITRINE_OFFICER_KEY));
  await op.waitForSelector('[data-signer-status].verify-ok');
  const contract = op.locator('form[data-kind="contract.signed"]');
  await contract.locator('#c-doc').setInputFiles({ name: '合同.txt', mimeType: 'text/plain', buffer: Buffer.from(`政府采购合同 ${Date.now()}`) });
  await submit(op, contract, 'the officer signs the contract first', { reload: false });
  const [download] = await Promise.all([op.waitForEvent('download'), op.click('[data-cosign-download]')]);
  const half = path.join(artefacts, 'contract-half-signed.json');
  await download.saveAs(half);
  const cp = people[2].page;
  await cp.reload();
  await cp.setInputFiles('[data-half-signed]', half);
  await cp.setInputFiles('#countersign-key', keyFile(bidders[2].org, bidders[2].key));
  await submit(cp, cp.locator('form[data-countersign]'), 'the supplier countersigns and sends it', { reload: false });
  await waitStatus('contracted');
  await op.reload();
  await op.setInputFiles('[data-signing-key]', keyFile('officer', process.env.VITRINE_OFFICER_KEY));
  await op.waitForSelector('[data-signer-status].verify-ok');
  const pay = op.locator('form[data-kind="payment.recorded"]');
  await pay.locator('input[name="amount.amount"]').fill('306000.00');
  await pay.locator('input[name="reference"]').fill('FZ-2026-0001');
  await submit(op, pay, 'the officer records a payment');
  await op.setInputFiles('[data-signing-key]', keyFile('officer', process.env.VITRINE_OFFICER_KEY));
  await op.waitForSelector('[data-signer-status].verify-ok');
  await submit(op, op.locator('form[data-kind="tender.completed"]'), 'and completes the tender');
  await waitStatus('complete');

  // 8. The public page verifies every entry of the tender.
  const reader = await browser.newContext({ locale: 'en' });
  const rp = await reader.newPage();
  await rp.goto(`${base}/tenders/${TENDER}`);
  await rp.click('[data-verify-all]');
  await rp.waitForFunction(() => [...document.querySelectorAll('.timeline [data-verify-index]')].every((e) => ['ok', 'failed'].includes(e.dataset.verifyState)), null, { timeout: 30000 });
  const states = await rp.$$eval('.timeline [data-verify-index]', (els) => els.map((e) => e.dataset.verifyState));
  check(states.length >= 15 && states.every((s) => s === 'ok'), `every entry of the tender verifies in the browser (${states.length})`, states.join(' '));
  await rp.screenshot({ path: path.join(artefacts, 'en-tender-complete.png'), fullPage: true });
  for (const p of [officer, supervisor, ...people]) check(p.page.problems.length === 0, 'no script error', p.page.problems.join('; '));
} catch (e) {
  check(false, 'the tender ran to its end', e.stack || String(e));
  // Where each person was, to see why.
  for (const [i, context] of browser.contexts().entries()) {
    for (const page of context.pages()) {
      const text = await page.evaluate(() => document.querySelector('main')?.innerText || document.body.innerText).catch(() => '');
      console.log(`       at ${page.url()}: ${text.slice(0, 600).replace(/\s+/g, ' ')}`);
      await page.screenshot({ path: path.join(artefacts, `tender-failure-${i}.png`), fullPage: true }).catch(() => {});
    }
  }
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
console.log(`browser-tender: ${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed ? 1 : 0);
