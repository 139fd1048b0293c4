// The pages' plain forms in headless Chromium with its scripts turned off: a platform
// administrator and a buyer's officer set up their second factor, the administrator
// rejects one application and approves another and creates a user, the officer saves a
// draft; every refusal shows beside its field with what was typed kept; a form posted
// from elsewhere, without the session's token, does nothing. Then how the pages answer
// HEAD, a method they do not take, and a query or path they cannot read. Both follow a
// tender, and the officer stops following it from the account page.
//
//   VITRINE_URL, VITRINE_ADMIN, VITRINE_OFFICER (e-mail addresses), VITRINE_PASSWORD,
//   VITRINE_TENDER (a published tender), VITRINE_ARTEFACTS
import { axe, base, check, launch, tally, totp, watchdog } from './common.mjs';

const password = process.env.VITRINE_PASSWORD;
const tender = process.env.VITRINE_TENDER;
// A name with markup, quotes and a right-to-left override: shown as text.
const displayName = '林文员 <img src=x onerror="window.__pwned=1"> "\'\u202eRTL';
const timer = watchdog(240);
const browser = await launch();

/** A reader with scripts off, logged in as `email` (the login form works without them). */
async function person(email, lang = 'zh-CN') {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: lang, extraHTTPHeaders: { 'accept-language': lang } });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
  check(new URL(page.url()).pathname === '/me', `${email} logs in with scripts off`, page.url());
  return { context, page };
}
/** Clicks `selector` and waits for the page it leads to; its status. */
async function post(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response.status();
}
const text = (page, selector) => page.textContent(selector).then((t) => (t || '').trim());
const done = (page) => page.locator('.notice-ok').count().then((n) => n === 1);

/** Sets up the second factor on /me: a wrong code is refused beside its field; the right one turns it on. */
async function secondFactor(page, who) {
  await page.goto(`${base}/me`);
  check(await post(page, '#totp-start button') === 200, `${who}: the secret is made`);
  const secret = await text(page, '[data-totp-secret]');
  check(/^[A-Z2-7]{32}$/.test(secret), `${who}: the secret is shown`, secret);
  await axe(page, `${who} second factor`, { scriptsOff: true });
  const right = totp(secret);
  await page.fill('#totp-confirm-code', String((Number(right) + 1) % 1000000).padStart(6, '0'));
  check(await post(page, '#totp-confirm button') === 422, `${who}: a wrong code is refused`);
  check(await page.getAttribute('#totp-confirm-code', 'aria-invalid') === 'true', `${who}: beside the code`, await text(page, 'main'));
  check(await page.locator('#totp-confirm-code-error').count() === 1, `${who}: saying why`);
  const why = await text(page, '#totp-confirm-code-error');
  const chinese = (await page.getAttribute('html', 'lang')) === 'zh-CN';
  check(chinese ? why.includes('请检查设备的时钟') && !why.includes('check the device') : why.includes("check the device's clock"), `${who}: in the reader's language`, why);
  check(await text(page, '[data-totp-secret]') === secret, `${who}: the same secret is still shown`);
  await page.fill('#totp-confirm-code', totp(secret));
  check(await post(page, '#totp-confirm button') === 200 && await done(page), `${who}: the right code turns it on`, await text(page, 'main'));
  check(new URL(page.url()).search === '?done=totp_on', `${who}: and the page says so after a redirect`, page.url());
}

try {
  // The platform administrator.
  const admin = await person(process.env.VITRINE_ADMIN);
  const ap = admin.page;
  // Before the second factor the desk shows nothing but the way to set it up, and
  // refuses an approval.
  await ap.goto(`${base}/admin`);
  check(await ap.locator('[data-application]').count() === 0 && await ap.locator('main .notice a[href="/me"]').count() === 1, 'before the second factor the desk lists nothing');
  await ap.goto(`${base}/me`);
  const token = await ap.getAttribute('#totp-start input[name="csrf"]', 'value');
  const early = await admin.context.request.post(`${base}/admin/applications/1/approve`, { form: { csrf: token }, maxRedirects: 0 });
  check(early.status() === 403, 'and refuses an approval', String(early.status()));
  await secondFactor(ap, 'administrator');

  await ap.goto(`${base}/admin`);
  check(await ap.locator('[data-application]').count() === 2, 'then two applications wait');
  await axe(ap, 'admin desk', { scriptsOff: true });
  const rejectForm = '[data-application]:has-text("sup-reject") form[action$="/reject"]';
  await ap.fill(`${rejectForm} input[name="reason"]`, '   ');
  check(await post(ap, `${rejectForm} button`) === 422, 'a blank reason is refused');
  const reasonInput = await ap.$('[data-application]:has-text("sup-reject") input[name="reason"]');
  check(await reasonInput.getAttribute('aria-invalid') === 'true', 'beside the reason');
  check(await ap.locator('[data-application]').count() === 2, 'and nothing was decided');
  await ap.fill(`${rejectForm} input[name="reason"]`, '信用代码与营业执照不符');
  check(await post(ap, `${rejectForm} button`) === 200 && await done(ap), 'an application is rejected with a reason');

  // A form from another site carries no session token: refused, nothing approved.
  const action = await ap.getAttribute('[data-application]:has-text("sup-approve") form[action$="/approve"]', 'action');
  const forged = await admin.context.request.post(base + action, { form: { csrf: 'x'.repeat(43) }, maxRedirects: 0 });
  check(forged.status() === 403 && (await forged.text()).includes('<html'), 'a form without the session token is refused with a page', String(forged.status()));
  const bare = await admin.context.request.post(base + action, { form: {}, maxRedirects: 0 });
  check(bare.status() === 403, 'and one with no token at all', String(bare.status()));
  await ap.goto(`${base}/admin`);
  check(await ap.locator('[data-application]:has-text("sup-approve")').count() === 1, 'the application still waits');
  check(await post(ap, '[data-application]:has-text("sup-approve") form[action$="/approve"] button') === 200 && await done(ap), 'an application is approved');
  check(await ap.locator('[data-application]').count() === 0, 'no application waits now');

  // A dead letter (the server's test set one aside): asked to be tried again, once.
  const retry = `#retry-${process.env.VITRINE_DEAD_LETTER}`;
  check(await ap.locator(retry).count() === 1, 'the desk lists the dead letter with a retry form');
  check(await post(ap, `${retry} button`) === 200 && await done(ap), 'a dead letter is asked to be tried again');
  check(await ap.locator(retry).count() === 0, 'and the desk says when instead of offering it again');

  // A user, refused first: the password may not be the address; what was typed is kept but the password.
  await ap.goto(`${base}/admin/users`);
  await axe(ap, 'users', { scriptsOff: true });
  check(await ap.inputValue('#new-user-role') === '', 'no role is chosen for the administrator');
  const fill = async (passwordText) => {
    await ap.fill('#new-user-organisation', 'fuzhou-bureau');
    await ap.fill('#new-user-email', 'clerk@fuzhou.example');
    await ap.fill('#new-user-display_name', displayName);
    await ap.selectOption('#new-user-role', 'procurement_officer');
    await ap.fill('#new-user-password', passwordText);
  };
  await fill('clerk@fuzhou.example');
  check(await post(ap, '#new-user button[type="submit"]') === 422, 'a password that is the address is refused');
  check(await ap.getAttribute('#new-user-password', 'aria-invalid') === 'true', 'beside the password');
  check(await ap.inputValue('#new-user-email') === 'clerk@fuzhou.example' && await ap.inputValue('#new-user-display_name') === displayName, 'what was typed is kept');
  check(await ap.inputValue('#new-user-password') === '', 'but not the password');
  check(await ap.inputValue('#new-user-role') === 'procurement_officer', 'and the role chosen');
  await fill('a long enough passphrase');
  check(await post(ap, '#new-user button[type="submit"]') === 200 && await done(ap), 'a user is created');
  check((await text(ap, 'main table')).includes('clerk@fuzhou.example'), 'and listed');
  check((await ap.textContent('main table')).includes(displayName) && await ap.locator('main table img, main table script').count() === 0, 'a hostile name shows as text');
  await fill('a long enough passphrase');
  check(await post(ap, '#new-user button[type="submit"]') === 409, 'an address with an account is refused');
  check(await ap.getAttribute('#new-user-email', 'aria-invalid') === 'true', 'beside the address');

  // Following a tender: from its page, listed on the account page.
  const followed = `/tenders/${encodeURIComponent(tender)}`;
  await ap.goto(base + followed);
  check(await post(ap, '#follow button') === 200 && await done(ap), 'the administrator follows a tender from its page');
  check(await ap.locator('#follow[action$="/unfollow"]').count() === 1, 'and the page now offers to stop');
  await ap.goto(`${base}/me`);
  check(await ap.locator(`main a[href="${followed}"]`).count() === 1, 'the account page lists it');
  await axe(ap, 'account with a followed tender', { scriptsOff: true });
  await admin.context.close();

  // The officer: second factor, then a draft saved with the form alone.
  const officer = await person(process.env.VITRINE_OFFICER, 'en');
  const op = officer.page;
  await secondFactor(op, 'officer');
  await op.goto(`${base}/buyer`);
  await op.fill('#new-id', 'ocds-vtest1-forms01');
  await Promise.all([op.waitForNavigation(), op.click('form[action="/buyer/drafts/new"] button')]);
  await op.fill('#d-title-zh', '无脚本保存的草稿');
  await op.fill('#lot-0-id', 'lot-1');
  await op.fill('#lot-0-value', '500000.00');
  await op.fill('#d-enquiry_end', '2027-01-10T09:30:00');
  await op.fill('#d-standstill', '864000');
  check(await text(op, 'label[for="d-enquiry_end"]').then((t) => t.includes('UTC')), 'without scripts the times are said to be in UTC');
  check(await post(op, '#draft button[type="submit"]') === 200 && await done(op), 'the draft is saved without scripts');
  check(await op.locator('[data-problems] li').count() > 0, 'and what is missing is listed');
  const draftPath = new URL(op.url()).pathname;
  await op.goto(`${base}/language?set=zh-CN&next=${encodeURIComponent(draftPath)}`);
  const missing = await op.locator('[data-problems] li').allTextContents();
  check(missing.length > 0 && missing.every((p) => /[\u4e00-\u9fff\uff00-\uffef]/.test(p)), 'in Chinese, what is missing is said in Chinese', missing.join(' | '));
  await op.goto(`${base}/language?set=en&next=${encodeURIComponent(draftPath)}`);
  const shown = await op.inputValue('#d-enquiry_end');
  check(/^2027-01-10T09:30(:00)?$/.test(shown), 'the time is shown as saved', `${shown} ${await op.getAttribute('#d-enquiry_end', 'value')}`);
  await axe(op, 'draft without scripts', { scriptsOff: true });

  // The officer follows it too, then stops from the account page.
  await op.goto(base + followed);
  await post(op, '#follow button');
  await op.goto(`${base}/me`);
  check(await post(op, `form[action="${followed}/unfollow"] button`) === 200 && new URL(op.url()).pathname === '/me', 'the officer stops following from the account page');
  check(await op.locator(`form[action="${followed}/unfollow"]`).count() === 0, 'and it is no longer listed');
  const anonymous = await browser.newContext();
  const stranger = await anonymous.request.post(`${base}${followed}/follow`, { form: {}, maxRedirects: 0 });
  check(stranger.status() === 303 && stranger.headers().location.startsWith('/login'), 'a reader not signed in is sent to log in', String(stranger.status()));
  await anonymous.close();

  // HEAD, another method, and what cannot be read.
  const request = officer.context.request;
  const head = await request.fetch(`${base}/tenders`, { method: 'HEAD' });
  check(head.status() === 200 && (head.headers()['content-type'] || '').startsWith('text/html'), 'HEAD answers a page\'s headers', String(head.status()));
  const wrong = await request.fetch(`${base}/tenders`, { method: 'POST', headers: { accept: 'text/html' } });
  check(wrong.status() === 405 && wrong.headers().allow === 'GET, HEAD' && (await wrong.text()).includes('<html'), 'another method gets a 405 page naming those it takes', `${wrong.status()} ${wrong.headers().allow}`);
  const badLanguage = await request.get(`${base}/language?next=/`);
  check(badLanguage.status() === 400 && (await badLanguage.text()).includes('<html'), 'a language switch without a language gets a page', String(badLanguage.status()));
  const badPath = await request.post(`${base}/admin/applications/not-a-number/approve`, { form: {}, maxRedirects: 0 });
  check(badPath.status() === 404 && (await badPath.text()).includes('<html'), 'a form posted to a path that cannot be read gets a page', String(badPath.status()));
  await officer.context.close();
} catch (e) {
  check(false, 'the forms ran to the end', e.stack);
} finally {
  clearTimeout(timer);
  await browser.close();
}
console.log(`forms: ${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed ? 1 : 0);
