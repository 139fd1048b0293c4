// The charity desk through its pages only, in headless Chromium: the administrator opens a
// fund; officer A (zh-CN) records a donation with its donor and downloads the receipt,
// imports the bank's CSV twice, proposes a disbursement to a person (getting their
// acknowledgement code) and one to an organisation; officer B (en) approves both; A
// executes them; the person acknowledges with the code; another organisation's key is
// refused, in the reader's language; the recipient organisation acknowledges.
//
//   VITRINE_URL, VITRINE_PASSWORD, VITRINE_FUND, VITRINE_ADMIN (e-mail), VITRINE_ADMIN_KEY
//   (key file text), VITRINE_OFFICER_A, VITRINE_OFFICER_A_KEY, VITRINE_OFFICER_B,
//   VITRINE_OFFICER_B_KEY, VITRINE_OFFICER_KEYS (JSON [A, B] public keys),
//   VITRINE_HOSPITAL_KEY, VITRINE_SCHOOL_KEY, VITRINE_ARTEFACTS
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { artefacts, axe, base, check, launch, tally, totp, watchdog as deadline } from './common.mjs';

const env = process.env;
const FUND = env.VITRINE_FUND;
const [KEY_A, KEY_B] = JSON.parse(env.VITRINE_OFFICER_KEYS);
const started = Date.now();

const browser = await launch();
const watchdog = deadline(150);

function keyFile(name, text) {
  const file = path.join(artefacts, `charity-desk-${name}.key`);
  writeFileSync(file, text);
  return file;
}
const api = async (p) => (await fetch(`${base}${p}`)).json();
async function context(lang) {
  const c = await browser.newContext({ locale: lang, timezoneId: 'Asia/Shanghai', extraHTTPHeaders: { 'accept-language': lang }, acceptDownloads: true });
  c.setDefaultTimeout(20000);
  const page = await c.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  return page;
}
async function logIn(lang, email) {
  const page = await context(lang);
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', env.VITRINE_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  return page;
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
async function loadKey(page, name, text) {
  await page.setInputFiles('[data-signing-key]', keyFile(name, text));
  await page.waitForSelector('[data-signer-status].verify-ok');
}
/** Submits `form` and waits for its output's verdict; answers [ok, text]. */
async function submit(page, form) {
  const output = form.locator('output[data-result]');
  await output.evaluate((el) => { el.removeAttribute('data-state'); el.textContent = ''; });
  await form.locator('button[type="submit"]').click();
  await page.waitForFunction((el) => el.dataset.state && !el.textContent.endsWith('…'), await output.elementHandle());
  return [await output.getAttribute('data-state') === 'ok', await output.textContent()];
}
/** Submits one of the waiting list's forms (redrawn after it): the desk's status says. */
async function decide(page, selector) {
  await page.evaluate(() => { const s = document.querySelector('[data-desk-status]'); s.removeAttribute('data-state'); s.textContent = ''; });
  await page.locator(`${selector} button[type="submit"]`).click();
  await page.waitForFunction((sel) => document.querySelector('[data-desk-status]').dataset.state
    || document.querySelector(`${sel} output[data-result]`)?.dataset.state === 'failed', selector);
  const ok = await page.evaluate(() => document.querySelector('[data-desk-status]').dataset.state === 'ok');
  const text = ok ? await page.textContent('[data-desk-status]') : await page.textContent(`${selector} output[data-result]`);
  return [ok, text];
}
async function saved(page, selector, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(artefacts, name);
  await download.saveAs(file);
  return file;
}
/** The state of each line of the import's preview: {line: [state, text]}. */
async function importStates(page) {
  return page.$$eval('[data-import-rows] tr', (rows) => Object.fromEntries(rows.map((r) => {
    const cell = r.querySelector('[data-row-state]');
    return [r.dataset.line, [cell.dataset.rowState, cell.textContent]];
  })));
}
async function importFile(page, csv) {
  await page.setInputFiles('#csv-file', { name: '工商银行流水.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.waitForSelector('[data-import-preview]:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('[data-import-rows] tr').length > 0);
}
async function runImport(page) {
  await page.click('[data-import-run]');
  await page.waitForSelector('[data-import-summary][data-state="done"]', { timeout: 30000 });
}
const shanghai = (ms) => new Date(Date.now() + ms + 8 * 3600 * 1000).toISOString().slice(0, 16).replace('T', ' ');
const pages = [];

try {
  // 1. The administrator opens the fund; A and B approve its disbursements, two of them.
  const admin = await logIn('zh-CN', env.VITRINE_ADMIN);
  pages.push(admin);
  await admin.goto(`${base}/charity`);
  check(await admin.textContent('h1') === '慈善工作台', 'the charity desk, in Chinese', await admin.textContent('h1'));
  await axe(admin, 'zh-CN charity desk');
  await loadKey(admin, 'admin', env.VITRINE_ADMIN_KEY);
  const open = admin.locator('form[data-open-fund]');
  await admin.fill('#of-id', FUND);
  await admin.fill('#of-purpose-zh', '2027 年洪灾紧急救助');
  await admin.fill('#of-purpose-en', 'Flood relief 2027');
  await admin.fill('#of-target', '1000000.00');
  for (const k of [KEY_A, KEY_B]) await admin.check(`input[name="officer"][value="${k}"]`);
  await admin.fill('#of-approvals', '2');
  let [ok, said] = await submit(admin, open);
  check(ok, 'the administrator signs and opens the fund in the page', said);
  const opened = await api(`/api/v1/funds/${FUND}`);
  check(opened.policy?.approvals === 2 && opened.policy.officers.join() === [KEY_A, KEY_B].join(), 'the fund is on the log with its policy', JSON.stringify(opened.policy));
  await admin.waitForSelector(`[data-fund-row="${FUND}"]`);
  check(true, 'and listed on the desk');

  // 2. Officer A records a donation with its donor, and downloads the donor's receipt.
  const a = await logIn('zh-CN', env.VITRINE_OFFICER_A);
  pages.push(a);
  await secondFactor(a);
  await a.goto(`${base}/charity/funds/${FUND}/donations`);
  await loadKey(a, 'officer-a', env.VITRINE_OFFICER_A_KEY);
  await a.fill('#dn-amount', '500.00');
  await a.fill('#dn-reference', 'ICBC-0001');
  await a.check('#dn-identified');
  await a.fill('#dn-name', '张三');
  await a.fill('#dn-id-number', '350102199001011234');
  await a.fill('#dn-contact', '13800000000');
  await a.check('#dn-named');
  await a.fill('#dn-public-name', '爱心人士张先生');
  await axe(a, 'zh-CN charity desk donations');
  [ok, said] = await submit(a, a.locator('form[data-donation]'));
  check(ok && said.includes('第 1 笔捐赠'), 'officer A records a donation with its donor', said);
  await a.waitForSelector('[data-receipt-out]:not([hidden])');
  const receiptFile = await saved(a, '[data-receipt-link]', 'charity-desk-receipt.tlog-proof');
  const receipt = readFileSync(receiptFile, 'utf8');
  const extra = /^extra (\S+)$/m.exec(receipt)?.[1];
  const opening = extra ? JSON.parse(Buffer.from(extra, 'base64').toString('utf8')) : {};
  check(receipt.startsWith('c2sp.org/tlog-proof@v1\n') && opening.donor?.name === '张三' && opening.salt?.length === 64,
    "the donor's receipt downloads, opening the donor's commitment", receipt.slice(0, 120));

  // 3. The bank's CSV: a repeated reference is refused in the page, a row the log refuses
  // shows why, the others are recorded; the same file again records nothing.
  const csv = [
    'amount,channel,reference,received_at,name,id_number,contact,named,public_name',
    `120.50,bank_transfer,ICBC-1001,${shanghai(-3600000)},李四,350102199002023456,13900000000,no,`,
    `80,alipay,ALI-2001,${new Date(Date.now() - 1800000).toISOString().slice(0, 19)}+00:00,,,,,`,
    `66.00,bank_transfer,ICBC-1001,${shanghai(-600000)},王五,,,,`,
    `300.00,wechat_pay,WX-3001,${shanghai(-60000)},"赵六, 先生",,zhao@example.org,是,赵先生`,
    `10.00,cash,CASH-1,${shanghai(86400000)},,,,,`,
  ].join('\r\n');
  await importFile(a, csv);
  let states = await importStates(a);
  check(Object.keys(states).length === 5 && states[4][0] === 'problem' && states[4][1].includes('第 2 行'),
    'the preview shows each row, a repeated reference with its problem, before anything is sent', JSON.stringify(states));
  check(['2', '3', '5', '6'].every((l) => states[l][0] === 'ready'), 'the other rows are ready', JSON.stringify(states));
  await runImport(a);
  states = await importStates(a);
  check(['2', '3', '5'].every((l) => states[l][0] === 'recorded'), 'the good rows are recorded one by one', JSON.stringify(states));
  check(states[6][0] === 'refused' && states[6][1].includes('晚于日志时间'), "a row the log refuses shows its reason, in the reader's language", states[6][1]);
  check(states[4][0] === 'problem', 'the repeated row was not sent');
  let fund = await api(`/api/v1/funds/${FUND}`);
  check(fund.donations === 4, 'the fund has the four donations', String(fund.donations));
  await importFile(a, csv);
  states = await importStates(a);
  check(['2', '3', '5'].every((l) => states[l][0] === 'skipped' && /第 \d 笔捐赠/.test(states[l][1])), 'imported again, the recorded rows are skipped', JSON.stringify(states));
  await runImport(a);
  fund = await api(`/api/v1/funds/${FUND}`);
  check(fund.donations === 4 && fund.received.amount === '1000.50', 'and nothing is recorded twice', JSON.stringify(fund.received));
  check(await a.locator('[data-refresh="recent"] tbody tr').count() === 4, 'the newest donations are listed with their receipts');

  // 4. A proposes a disbursement to a person, with evidence, and one to an organisation.
  await a.goto(`${base}/charity/funds/${FUND}/disbursements`);
  await loadKey(a, 'officer-a', env.VITRINE_OFFICER_A_KEY);
  const propose = a.locator('form[data-propose]');
  await a.fill('#pr-amount', '200.00');
  await a.check('#pr-to-person');
  await a.fill('#pr-name', '陈七');
  await a.fill('#pr-id-number', '350102198503035678');
  await a.fill('#pr-purpose-zh', '受灾家庭生活补助');
  await a.setInputFiles('#pr-evidence', { name: '补助申请表.txt', mimeType: 'text/plain', buffer: Buffer.from(`补助申请表 ${Date.now()}`) });
  [ok, said] = await submit(a, propose);
  check(ok && said.includes('第 1 笔拨付'), 'officer A proposes a disbursement to a person', said);
  await a.waitForSelector('[data-code-out]:not([hidden])');
  const code = await a.inputValue('[data-code-text]');
  check(/^PRIVATE\+KEY\+ack\.[^+]+\.1\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{44}$/.test(code), "the person's acknowledgement code is shown", code.slice(0, 30));
  const leavingAsks = () => a.evaluate(() => {
    const leaving = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(leaving);
    return leaving.defaultPrevented;
  });
  check(await leavingAsks(), 'until the code is saved, leaving the page asks first');
  const codeFile = await saved(a, '[data-code-download]', 'charity-desk-code.txt');
  check(!(await leavingAsks()), 'once it is saved, the page lets the officer go');
  check(readFileSync(codeFile, 'utf8').includes(code) && readFileSync(codeFile, 'utf8').includes('/acknowledge'), 'and offered as a file saying where to use it');
  const recordFile = await saved(a, '[data-record-download]', 'charity-desk-recipient.json');
  const record = JSON.parse(readFileSync(recordFile, 'utf8'));
  check(record.data?.name === '陈七' && record.salt.length === 64, "the charity's own record of the person opens the commitment");
  await a.fill('#pr-amount', '150.00');
  await a.fill('#pr-organisation', 'hospital');
  await a.fill('#pr-purpose-zh', '救灾药品');
  await a.fill('#pr-purpose-en', 'Medicines');
  [ok, said] = await submit(a, propose);
  check(ok && said.includes('第 2 笔拨付'), 'and one to a registered organisation', said);
  await a.waitForSelector('#d-2');
  check(await a.locator('form[data-approve][data-seq="1"]').isHidden(), "the proposer's own signature is its approval: no button to approve again");

  // 5. Officer B, in English, sees what waits for them and approves both.
  const b = await logIn('en', env.VITRINE_OFFICER_B);
  pages.push(b);
  await secondFactor(b);
  await b.goto(`${base}/charity`);
  await loadKey(b, 'officer-b', env.VITRINE_OFFICER_B_KEY);
  const notes = await b.$$eval('[data-disbursement] [data-mine-note]', (els) => els.map((e) => e.textContent));
  check(notes.length === 2 && notes.every((n) => n === 'Awaits your approval.'), 'the desk shows officer B what awaits their approval', notes.join(' | '));
  await b.click(`a[href="/charity/funds/${FUND}/disbursements"]`);
  await b.waitForSelector('form[data-propose]');
  await loadKey(b, 'officer-b', env.VITRINE_OFFICER_B_KEY);
  await axe(b, 'en charity desk disbursements');
  for (const seq of [1, 2]) {
    [ok, said] = await decide(b, `form[data-approve][data-seq="${seq}"]`);
    check(ok && said.includes(`Disbursement ${seq} approved`), `officer B approves disbursement ${seq}`, said);
  }
  await b.waitForSelector('form[data-execute][data-seq="2"]');

  // 6. A executes both with the bank's references.
  await a.reload();
  await loadKey(a, 'officer-a', env.VITRINE_OFFICER_A_KEY);
  for (const seq of [1, 2]) {
    await a.fill(`#ex-ref-${seq}`, `ICBC-PAY-${seq}`);
    [ok, said] = await decide(a, `form[data-execute][data-seq="${seq}"]`);
    check(ok && said.includes(`第 ${seq} 笔拨付已登记为已付款`), `officer A executes disbursement ${seq}`, said);
  }

  // 7. The person, without an account: a wrong code is refused in the page; their code
  // (its file) acknowledges.
  const p = await context('en');
  pages.push(p);
  await p.goto(`${base}/funds/${FUND}/disbursements/1/acknowledge`);
  await axe(p, 'en charity desk acknowledge');
  await p.fill('#ack-code', env.VITRINE_OFFICER_B_KEY);
  await p.click('form[data-ack-form] button[type="submit"]');
  await p.waitForSelector('[data-error-for="code"]:not([hidden])');
  check((await p.textContent('[data-error-for="code"]')).includes('not the one made for this disbursement'), 'a code made for someone else is refused before anything is sent');
  await p.setInputFiles('#ack-code-file', codeFile);
  await p.waitForFunction(() => document.querySelector('#ack-code').value.includes('PRIVATE+KEY+ack.'));
  [ok, said] = await submit(p, p.locator('form[data-ack-form]'));
  check(ok && said.includes('acknowledgement of disbursement 1'), 'the person acknowledges with their code', said);

  // 8. Another organisation's key is refused with the log's reason, in Chinese; the
  // recipient's key acknowledges.
  const s = await context('zh-CN');
  pages.push(s);
  await s.goto(`${base}/funds/${FUND}/disbursements/2/acknowledge`);
  await s.setInputFiles('#ack-key', keyFile('school', env.VITRINE_SCHOOL_KEY));
  [ok, said] = await submit(s, s.locator('form[data-ack-form]'));
  check(!ok && said.includes('第 2 笔拨付须由其收款方 hospital 用自己的密钥确认'), "a wrong acknowledger is refused, readably, in the reader's language", said);
  await axe(s, 'zh-CN charity desk acknowledge refused');
  await s.setInputFiles('#ack-key', keyFile('hospital', env.VITRINE_HOSPITAL_KEY));
  [ok, said] = await submit(s, s.locator('form[data-ack-form]'));
  check(ok, 'the recipient organisation acknowledges with its key', said);

  // 9. The fund's tables say so.
  fund = await api(`/api/v1/funds/${FUND}`);
  const listed = (await api(`/api/v1/funds/${FUND}/disbursements`)).disbursements;
  check(fund.balance.amount === '650.50' && fund.disbursed.amount === '350.00', "the fund's balance is what is left", JSON.stringify([fund.balance, fund.disbursed]));
  check(listed.length === 2 && listed.every((d) => d.status === 'executed' && d.acknowledged), 'both disbursements are executed and acknowledged', JSON.stringify(listed.map((d) => [d.status, d.acknowledged])));
  await a.reload();
  check(await a.locator('[data-refresh="open"] article').count() === 0, "nothing waits on the officer's page any more");
  for (const page of pages) check(page.problems.length === 0, 'no script error', page.problems.join('; '));
} catch (e) {
  check(false, 'the charity desk ran to its end', e.stack || String(e));
  for (const [i, page] of pages.entries()) {
    const text = await page.evaluate(() => document.querySelector('main')?.innerText || '').catch(() => '');
    console.log(`       at ${page.url()}: ${text.slice(0, 800).replace(/\s+/g, ' ')}`);
    await page.screenshot({ path: path.join(artefacts, `charity-desk-failure-${i}.png`), fullPage: true }).catch(() => {});
  }
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
console.log(`browser-charity-desk: ${tally.passed} passed, ${tally.failed} failed in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(tally.failed ? 1 : 0);
