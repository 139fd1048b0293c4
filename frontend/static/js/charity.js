// A charity's desk, in the browser: funds opened, donations recorded (one at a time or
// from the bank's CSV) with the donor's commitment made here, disbursements proposed
// (to a person, with a key made here for them to acknowledge with), approved and
// executed; and the recipient's acknowledgement. Every statement is signed here with the
// signer's own key, read from its file into this page's memory and never sent; a
// person's acknowledgement code is made here and shown once. Statements go to the JSON
// API with the session's CSRF token.
import { canonicalize } from './verify.js';
import {
  b64, clearErrors, concat, download, fieldError, hex, msg, newKey, PRICE, random,
  readSignerFile, send, sha256, show, sign, signerFile, statement, utf8,
} from './sign.js';

const root = document.querySelector('[data-charity]');
const csrf = root?.dataset.csrf || '';
const fundId = root?.dataset.fund || '';
const currency = root?.dataset.currency || '';
let signingKey = null;

// ---- small things ------------------------------------------------------------------------
const status = (text, ok) => {
  const out = document.querySelector('[data-desk-status]');
  if (!out) return;
  out.textContent = text;
  out.className = ok ? 'verify-ok' : 'verify-failed';
  out.dataset.state = ok ? 'ok' : 'failed';
};
const json = (text, fallback) => { try { return JSON.parse(text); } catch { return fallback; } };
const enc = encodeURIComponent;

/** A local date and time (`datetime-local`, or `YYYY-MM-DD HH:MM[:SS]`) or an RFC 3339
 * time as RFC 3339 UTC to the second; `null` if it is not one. */
function utcOf(text) {
  const value = String(text || '').trim();
  const local = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value);
  let when;
  if (local) {
    const [, y, mo, d, h, mi, s] = local.map(Number);
    when = new Date(y, mo - 1, d, h, mi, s || 0);
    if (when.getMonth() !== mo - 1 || when.getDate() !== d) return null;
  } else if (zoned) {
    when = new Date(value);
  } else {
    return null;
  }
  return Number.isNaN(when.getTime()) ? null : `${when.toISOString().slice(0, 19)}Z`;
}
/** `now` as a `datetime-local` value in the reader's zone. */
function localNow(offsetMs = 0) {
  const now = new Date(Date.now() + offsetMs);
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
}
const money = (amount) => ({ amount, currency });
const goodAmount = (text) => PRICE.test(text) && /[1-9]/.test(text);
const bilingual = (zh, en) => {
  const out = {};
  if (zh.trim()) out.zh = zh.trim();
  if (en.trim()) out.en = en.trim();
  return out;
};

/** A person's or a donor's data, as committed to: only what was given. */
function personData(form) {
  const data = {};
  for (const name of ['name', 'id_number', 'contact']) {
    const v = form.querySelector(`[name="${name}"]`)?.value.trim();
    if (v) data[name] = v;
  }
  return data;
}

/** `SHA-256("vitrine/donor/v1\n" || JCS(data) || salt)`, lowercase hex. */
async function commitmentOf(data, salt) {
  return hex(await sha256(concat(utf8.encode('vitrine/donor/v1\n'), canonicalize(data), salt)));
}

/** Rewrites the `<time>` of `within` in the reader's zone (as site.js does at load). */
function localTimes(within) {
  const format = new Intl.DateTimeFormat(document.documentElement.lang || 'zh-CN', { dateStyle: 'medium', timeStyle: 'short' });
  for (const el of within.querySelectorAll('time[datetime]')) {
    const when = new Date(el.getAttribute('datetime'));
    if (Number.isNaN(when.getTime())) continue;
    el.title = el.textContent;
    el.textContent = format.format(when);
  }
}

/** The page's lists again, from the server, without leaving the page (the key stays). */
async function refresh() {
  const regions = [...document.querySelectorAll('[data-refresh]')];
  if (!regions.length) return;
  try {
    const response = await fetch(window.location.pathname, { credentials: 'same-origin', headers: { accept: 'text/html' } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const region of regions) {
      const next = fresh.querySelector(`[data-refresh="${region.dataset.refresh}"]`);
      if (!next) continue;
      const adopted = document.importNode(next, true);
      region.replaceWith(adopted);
      localTimes(adopted);
      for (const el of adopted.querySelectorAll('[data-js-only]')) el.hidden = false;
    }
    markMine();
  } catch { /* the lists stay as they were */ }
}

// ---- the signing key ---------------------------------------------------------------------
function signer() {
  const input = document.querySelector('[data-signing-key]');
  if (!input) return;
  const said = document.querySelector('[data-signer-status]');
  input.addEventListener('change', async () => {
    try {
      signingKey = await readSignerFile(await input.files[0].text());
      said.textContent = msg('js.key_loaded', { name: signingKey.name });
      said.className = 'verify-ok';
    } catch (e) {
      signingKey = null;
      said.textContent = e.message;
      said.className = 'verify-failed';
    }
    input.value = '';
    markMine();
  });
}

/** What each waiting disbursement asks of the loaded key: its approval, nothing more, or
 * nothing (a key the fund's policy does not name). */
function markMine() {
  const mine = signingKey ? b64(signingKey.publicKey) : null;
  for (const el of document.querySelectorAll('[data-disbursement]')) {
    const note = el.querySelector('[data-mine-note]');
    const approvals = json(el.dataset.approvals, []).map((a) => a.key);
    const officers = json(el.dataset.officers, []);
    const approve = el.querySelector('form[data-approve]');
    if (approve) approve.hidden = Boolean(mine && approvals.includes(mine));
    if (!note) continue;
    if (!mine || el.dataset.status === 'executed') { note.textContent = ''; continue; }
    if (!officers.includes(mine)) note.textContent = msg('js.cdesk_not_in_policy');
    else if (el.dataset.status === 'approved' && el.dataset.payable !== 'false') note.textContent = msg('js.cdesk_to_execute');
    else note.textContent = approvals.includes(mine) ? msg('js.cdesk_you_approved') : msg('js.cdesk_awaits_you');
  }
}

/** The loaded key, or `null` after saying on `output` that one is needed. */
function keyOr(output) {
  if (signingKey) return signingKey;
  show(output, msg('js.load_key'), false);
  document.querySelector('[data-signing-key]')?.focus();
  return null;
}

/** Sends a statement signed by the loaded key; answers its receipt. */
async function logged(kind, subject, body) {
  const signed = await sign(statement(kind, subject, body), [signingKey]);
  return send('/api/v1/statements', signed, { csrf });
}

// ---- opening a fund ----------------------------------------------------------------------
function openFund(form) {
  const charity = root.dataset.charityId;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const el of form.querySelectorAll('[data-zone]')) el.textContent = zone || '';
  form.querySelector('[name="end"]').value ||= localNow(180 * 86400000);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const output = form.querySelector('[data-result]');
    const v = (name) => form.querySelector(`[name="${name}"]`).value.trim();
    const id = v('id');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) return fieldError(form, 'id', msg('js.cdesk_bad_fund_id'));
    const purpose = bilingual(v('purpose_zh'), v('purpose_en'));
    if (!Object.keys(purpose).length) return fieldError(form, 'purpose', msg('js.cdesk_purpose_needed'));
    if (!goodAmount(v('target'))) return fieldError(form, 'target', msg('js.bad_price'));
    const start = utcOf(v('start'));
    const end = utcOf(v('end'));
    if (!start) return fieldError(form, 'start', msg('js.required'));
    if (!end || end <= start) return fieldError(form, 'end', msg('js.cdesk_end_after_start'));
    const officers = [...form.querySelectorAll('input[name="officer"]:checked')].map((i) => i.value);
    if (!officers.length) return fieldError(form, 'officers', msg('js.cdesk_choose_officer'));
    const approvals = Number(v('approvals'));
    if (!Number.isInteger(approvals) || approvals < 1 || approvals > officers.length) {
      return fieldError(form, 'approvals', msg('js.cdesk_bad_approvals', { n: officers.length }));
    }
    const cur = v('currency').toUpperCase();
    const policy = { officers, approvals };
    if (v('above_amount') || v('above_approvals')) {
      if (!goodAmount(v('above_amount'))) return fieldError(form, 'above_amount', msg('js.bad_price'));
      const higher = Number(v('above_approvals'));
      if (!Number.isInteger(higher) || higher <= approvals || higher > officers.length) {
        return fieldError(form, 'above_approvals', msg('js.cdesk_bad_above', { min: approvals + 1, max: officers.length }));
      }
      policy.above = { amount: { amount: v('above_amount'), currency: cur }, approvals: higher };
    }
    if (!keyOr(output)) return;
    const body = {
      charity, kind: v('kind'), purpose, target: { amount: v('target'), currency: cur }, start, end, policy,
    };
    show(output, msg('js.working'), true);
    try {
      const receipt = await logged('fund.opened', id, body);
      show(output, msg('js.cdesk_opened', { fund: id, index: receipt.index }), true);
      status(msg('js.cdesk_opened', { fund: id, index: receipt.index }), true);
      form.reset();
      await refresh();
    } catch (e) {
      if (!e.showBy?.(form)) show(output, e.message, false);
      else show(output, '', false);
    }
  });
}

// ---- donations ---------------------------------------------------------------------------
/** Records a donation: the statement signed here, the donor's data and salt for the vault.
 * Answers the API's answer (`donation`, `receipt`, `donor_receipt`). */
async function recordDonation({ amount, channel, reference, receivedAt, donor }) {
  const body = { amount: money(amount), channel, reference, received_at: receivedAt };
  let vault = null;
  if (donor) {
    const salt = random(32);
    body.donor = await commitmentOf(donor.data, salt);
    if (donor.named) body.named = true;
    vault = { data: donor.data, salt: hex(salt) };
    if (donor.named) vault.public_name = donor.publicName;
  }
  const signed = await sign(statement('donation.recorded', fundId, body), [signingKey]);
  const request = { statement: signed };
  if (vault) request.donor = vault;
  return send(`/api/v1/funds/${enc(fundId)}/donations`, request, { csrf });
}

function donationForm(form) {
  const fields = form.querySelector('[data-donor-fields]');
  const named = form.querySelector('[name="named"]');
  const publicName = form.querySelector('[name="public_name"]');
  const name = form.querySelector('[name="name"]');
  const donorKind = () => form.querySelector('input[name="donor"]:checked').value;
  const sync = () => {
    fields.hidden = donorKind() !== 'identified';
    publicName.disabled = !named.checked;
    if (named.checked && !publicName.value.trim()) publicName.value = name.value.trim();
  };
  form.addEventListener('change', sync);
  sync();
  const out = form.querySelector('[data-receipt-out]');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    out.hidden = true;
    const output = form.querySelector('[data-result]');
    const v = (n) => form.querySelector(`[name="${n}"]`).value.trim();
    if (!goodAmount(v('amount'))) return fieldError(form, 'amount', msg('js.bad_price'));
    if (!v('reference')) return fieldError(form, 'reference', msg('js.required'));
    const receivedAt = utcOf(v('received_at'));
    if (!receivedAt) return fieldError(form, 'received_at', msg('js.required'));
    let donor = null;
    if (donorKind() === 'identified') {
      const data = personData(form);
      if (!data.name) return fieldError(form, 'name', msg('js.required'));
      donor = { data, named: named.checked, publicName: v('public_name') };
      if (donor.named && !donor.publicName) return fieldError(form, 'public_name', msg('js.required'));
    }
    if (!keyOr(output)) return;
    show(output, msg('js.working'), true);
    try {
      const answer = await recordDonation({ amount: v('amount'), channel: v('channel'), reference: v('reference'), receivedAt, donor });
      const said = msg('js.cdesk_recorded', { donation: answer.donation, index: answer.receipt.index });
      show(output, said, true);
      out.querySelector('[data-receipt-text]').textContent = msg('js.cdesk_give_receipt');
      const link = out.querySelector('[data-receipt-link]');
      link.href = answer.donor_receipt;
      link.download = `${fundId}-donation-${answer.donation}.tlog-proof`;
      out.hidden = false;
      for (const n of ['amount', 'reference', 'name', 'id_number', 'contact', 'public_name']) form.querySelector(`[name="${n}"]`).value = '';
      named.checked = false;
      sync();
      await refresh();
      link.focus();
    } catch (e) {
      if (!e.showBy?.(form)) show(output, e.message, false);
      else show(output, '', false);
    }
  });
}

// ---- the bank's CSV ----------------------------------------------------------------------
const COLUMNS = ['amount', 'channel', 'reference', 'received_at', 'name', 'id_number', 'contact', 'named', 'public_name'];
const REQUIRED = ['amount', 'channel', 'reference', 'received_at'];
const YES = ['yes', 'y', 'true', '1', '是'];
const NO = ['', 'no', 'n', 'false', '0', '否'];

/** RFC 4180: fields separated by commas, quoted with `"` (doubled inside), lines by CRLF
 * or LF; a leading byte-order mark is dropped. Answers [line number, fields] per line. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else { if (c === '\n') line++; field += c; }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(field); field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field); field = '';
      rows.push([start, row]); row = [];
      line++; start = line;
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length) { row.push(field); rows.push([start, row]); }
  return rows.filter(([, r]) => r.some((f) => f.trim() !== ''));
}

/** The rows of a bank file, each with what is wrong with it (nothing is sent yet). */
function readRows(text, channels) {
  const lines = parseCsv(text);
  if (!lines.length) return { problem: msg('js.cdesk_csv_empty'), rows: [] };
  const header = lines[0][1].map((h) => h.trim().toLowerCase());
  const unknown = header.find((h) => !COLUMNS.includes(h));
  if (unknown !== undefined) return { problem: msg('js.cdesk_csv_unknown_column', { column: unknown }), rows: [] };
  const missing = REQUIRED.find((h) => !header.includes(h));
  if (missing) return { problem: msg('js.cdesk_csv_missing_column', { column: missing }), rows: [] };
  const seen = new Map();
  const rows = lines.slice(1).map(([line, fields]) => {
    const get = (name) => (header.includes(name) ? String(fields[header.indexOf(name)] ?? '').trim() : '');
    const row = { line, amount: get('amount'), channel: get('channel'), reference: get('reference'), receivedText: get('received_at'), problems: [] };
    if (fields.length > header.length) row.problems.push(msg('js.cdesk_csv_extra_fields'));
    if (!goodAmount(row.amount)) row.problems.push(msg('js.cdesk_csv_amount'));
    if (!channels.includes(row.channel)) row.problems.push(msg('js.cdesk_csv_channel', { channel: row.channel }));
    if (!row.reference || row.reference.length > 128) row.problems.push(msg('js.cdesk_csv_reference'));
    row.receivedAt = utcOf(row.receivedText);
    if (!row.receivedAt) row.problems.push(msg('js.cdesk_csv_time'));
    const data = {};
    for (const name of ['name', 'id_number', 'contact']) if (get(name)) data[name] = get(name);
    const namedText = get('named').toLowerCase();
    let named = false;
    if (YES.includes(namedText)) named = true;
    else if (!NO.includes(namedText)) row.problems.push(msg('js.cdesk_csv_named'));
    const publicName = get('public_name') || (named ? data.name || '' : '');
    if (Object.keys(data).length) {
      if (!data.name) row.problems.push(msg('js.cdesk_csv_name'));
      row.donor = { data, named, publicName };
    } else if (named || get('public_name')) {
      row.problems.push(msg('js.cdesk_csv_named_anonymous'));
    }
    if (get('public_name') && !named) row.problems.push(msg('js.cdesk_csv_unnamed'));
    if (publicName.length > 200) row.problems.push(msg('js.cdesk_csv_public_name'));
    const key = `${row.channel}\n${row.reference}`;
    if (row.reference && seen.has(key)) row.problems.push(msg('js.cdesk_csv_repeated', { line: seen.get(key) }));
    else if (row.reference) seen.set(key, line);
    return row;
  });
  return { problem: null, rows };
}

/** Which rows the fund has recorded already (by channel and reference). */
async function alreadyRecorded(rows) {
  const ready = rows.filter((r) => !r.problems.length);
  for (let i = 0; i < ready.length; i += 100) {
    const part = ready.slice(i, i + 100);
    const query = part.map((r) => `r=${enc(`${r.channel}:${r.reference}`)}`).join('&');
    const response = await fetch(`/charity/funds/${enc(fundId)}/recorded?${query}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!response.ok || !(response.headers.get('content-type') || '').includes('json')) throw new Error(msg('js.cdesk_csv_check_failed'));
    const { recorded } = await response.json();
    for (const found of recorded) {
      const row = part.find((r) => r.channel === found.channel && r.reference === found.reference);
      if (row) row.recorded = found.donation;
    }
  }
}

function importer(section) {
  const input = section.querySelector('[data-import-file]');
  const preview = section.querySelector('[data-import-preview]');
  const body = section.querySelector('[data-import-rows]');
  const run = section.querySelector('[data-import-run]');
  const progress = section.querySelector('[data-import-progress]');
  const summary = section.querySelector('[data-import-summary]');
  const caption = section.querySelector('[data-import-caption]');
  const channels = json(root.dataset.channels, []);
  let rows = [];

  const setState = (row, state, text, receipt) => {
    const cell = row.el.querySelector('[data-row-state]');
    cell.dataset.rowState = state;
    cell.className = { refused: 'verify-failed', problem: 'verify-failed', recorded: 'verify-ok' }[state] || '';
    cell.textContent = text;
    if (receipt) {
      cell.append(' ');
      const link = document.createElement('a');
      link.href = receipt;
      link.download = `${fundId}-donation-${row.donation}.tlog-proof`;
      link.textContent = msg('js.cdesk_receipt');
      cell.append(link);
    }
  };
  const shown = (row) => {
    const tr = document.createElement('tr');
    tr.dataset.line = String(row.line);
    const donor = !row.donor ? msg('js.cdesk_anonymous') : row.donor.named ? msg('js.cdesk_named_as', { name: row.donor.publicName }) : (row.donor.data.name || '');
    for (const text of [String(row.line), row.amount, row.channel, row.reference, row.receivedText, donor]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const state = document.createElement('td');
    state.dataset.rowState = '';
    tr.append(state);
    row.el = tr;
    body.append(tr);
    if (row.problems.length) setState(row, 'problem', row.problems.join(' '));
    else if (row.recorded) setState(row, 'skipped', msg('js.cdesk_csv_already', { donation: row.recorded }));
    else setState(row, 'ready', msg('js.cdesk_csv_ready'));
  };
  const ready = () => rows.filter((r) => !r.problems.length && !r.recorded && !r.donation);

  input.addEventListener('change', async () => {
    clearErrors(section);
    body.replaceChildren();
    summary.textContent = '';
    summary.removeAttribute('data-state');
    progress.hidden = true;
    const file = input.files[0];
    if (!file) return;
    const read = readRows(await file.text(), channels);
    input.value = ''; // the same file may be chosen again
    if (read.problem) { preview.hidden = true; return fieldError(section, 'csv', read.problem); }
    rows = read.rows;
    try {
      await alreadyRecorded(rows);
    } catch (e) {
      preview.hidden = true;
      return fieldError(section, 'csv', e.message);
    }
    for (const row of rows) shown(row);
    const counts = {
      rows: rows.length,
      ready: ready().length,
      problems: rows.filter((r) => r.problems.length).length,
      recorded: rows.filter((r) => r.recorded).length,
    };
    caption.textContent = msg('js.cdesk_csv_caption', { file: file.name, ...counts });
    run.textContent = msg('js.cdesk_csv_run', { n: counts.ready });
    run.hidden = counts.ready === 0;
    run.disabled = false;
    preview.hidden = false;
    summary.textContent = counts.ready ? '' : msg('js.cdesk_csv_nothing');
    if (!counts.ready) summary.dataset.state = 'done';
  });

  run.addEventListener('click', async () => {
    const todo = ready();
    if (!todo.length) return;
    if (!signingKey) { summary.textContent = msg('js.load_key'); summary.className = 'verify-failed'; return; }
    run.disabled = true;
    summary.className = '';
    summary.removeAttribute('data-state');
    progress.max = todo.length;
    progress.value = 0;
    progress.hidden = false;
    let done = 0;
    let refused = 0;
    for (const row of todo) {
      setState(row, 'sending', msg('js.working'));
      try {
        const answer = await recordDonation({ ...row, donor: row.donor });
        row.donation = answer.donation;
        setState(row, 'recorded', msg('js.cdesk_recorded', { donation: answer.donation, index: answer.receipt.index }), answer.donor_receipt);
        done += 1;
      } catch (e) {
        refused += 1;
        setState(row, 'refused', e.message);
      }
      progress.value = done + refused;
      summary.textContent = msg('js.cdesk_csv_progress', { done: done + refused, total: todo.length, recorded: done, refused });
    }
    summary.dataset.state = 'done';
    summary.className = refused ? 'verify-failed' : 'verify-ok';
    run.hidden = true;
    await refresh();
  });
}

// ---- disbursements -----------------------------------------------------------------------
/** Uploads a file as evidence; answers its SHA-256 (checked against the server's). */
async function upload(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const answer = await send('/api/v1/documents', bytes, { csrf, contentType: file.type || 'application/octet-stream' });
  const mine = hex(await sha256(bytes));
  if (answer?.sha256 && answer.sha256 !== mine) throw new Error(msg('js.upload_mismatch'));
  return mine;
}

function proposer(form) {
  const to = () => form.querySelector('input[name="to"]:checked').value;
  const sync = () => { for (const el of form.querySelectorAll('[data-to]')) el.hidden = el.dataset.to !== to(); };
  form.addEventListener('change', sync);
  sync();
  const out = document.querySelector('[data-code-out]');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const output = form.querySelector('[data-result]');
    const v = (n) => form.querySelector(`[name="${n}"]`).value.trim();
    if (!goodAmount(v('amount'))) return fieldError(form, 'amount', msg('js.bad_price'));
    const kind = to();
    if (kind === 'organisation' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v('organisation'))) return fieldError(form, 'organisation', msg('js.cdesk_bad_organisation'));
    const data = personData(form);
    if (kind === 'person' && !data.name) return fieldError(form, 'name', msg('js.required'));
    if (kind === 'person' && codeUnsaved) return fieldError(form, 'name', msg('js.cdesk_save_code_first'));
    const purpose = bilingual(v('purpose_zh'), v('purpose_en'));
    if (!Object.keys(purpose).length) return fieldError(form, 'purpose', msg('js.cdesk_purpose_needed'));
    if (!keyOr(output)) return;
    show(output, msg('js.working'), true);
    try {
      const evidence = [];
      for (const file of form.querySelector('#pr-evidence').files) {
        const sha = await upload(file);
        if (!evidence.includes(sha)) evidence.push(sha);
      }
      let recipient;
      let person = null;
      if (kind === 'organisation') recipient = { organisation: v('organisation') };
      else if (kind === 'fund') recipient = { fund: v('fund') };
      else {
        const salt = random(32);
        const key = await newKey();
        const commitment = await commitmentOf(data, salt);
        person = { data, salt: hex(salt), commitment, key };
        recipient = { person: commitment, key: b64(key.publicKey) };
      }
      const body = { amount: money(v('amount')), recipient, purpose };
      if (evidence.length) body.evidence = evidence;
      // The person's data goes to the charity's vault with the proposal (off the log).
      const signed = await sign(statement('disbursement.proposed', fundId, body), [signingKey]);
      const request = { statement: signed };
      if (person) request.person = { data: person.data, salt: person.salt };
      const answer = await send(`/api/v1/funds/${enc(fundId)}/disbursements`, request, { csrf });
      const receipt = answer.receipt;
      const seq = answer.disbursement;
      const said = seq ? msg('js.cdesk_proposed', { seq, index: receipt.index }) : msg('js.logged', { index: receipt.index });
      show(output, said, true);
      status(said, true);
      if (person) await handOver(out, person, seq, receipt.index);
      form.reset();
      sync();
      await refresh();
      if (person) out.focus();
    } catch (e) {
      if (!e.showBy?.(form)) show(output, e.message, false);
      else show(output, '', false);
    }
  });
}

/** Whether a person's acknowledgement code is shown and not yet saved (downloaded or
 * copied): until it is, leaving the page asks first, and no other code is made over it. */
let codeUnsaved = false;
window.addEventListener('beforeunload', (event) => {
  if (codeUnsaved) event.preventDefault();
});

/** The person's acknowledgement code, shown once: the key made for them, as a key file
 * line with where to use it; and the charity's own record of whom the commitment names. */
async function handOver(out, person, seq, index) {
  const saved = () => { codeUnsaved = false; };
  out.querySelector('[data-code-download]').addEventListener('click', saved, { once: true });
  out.querySelector('[data-code-text]').addEventListener('copy', saved, { once: true });
  const page = `${window.location.origin}/funds/${enc(fundId)}/disbursements/${seq ?? ''}/acknowledge`;
  const code = (await signerFile(`ack.${fundId}.${seq ?? index}`, person.key)).trim();
  out.querySelector('[data-code-text]').value = code;
  const link = out.querySelector('[data-code-page]');
  link.href = page;
  link.textContent = page;
  const file = `${msg('js.cdesk_code_file_intro', { seq: seq ?? '?', fund: fundId })}\n${msg('js.cdesk_code_file_where', { page })}\n\n${code}\n`;
  download(out.querySelector('[data-code-download]'), `acknowledgement-code-${fundId}-${seq ?? index}.txt`, file, 'text/plain');
  const record = {
    format: 'vitrine-recipient/v1', fund: fundId, disbursement: seq, entry: index,
    data: person.data, salt: person.salt, commitment: person.commitment, key: b64(person.key.publicKey),
  };
  download(out.querySelector('[data-record-download]'), `recipient-${fundId}-${seq ?? index}.json`, `${JSON.stringify(record, null, 1)}\n`);
  out.hidden = false;
  codeUnsaved = true;
}

/** Approvals and executions, by the forms of the waiting list (redrawn after each). */
function decisions() {
  root.addEventListener('submit', async (event) => {
    const form = event.target.closest('form[data-approve], form[data-execute]');
    if (!form) return;
    event.preventDefault();
    clearErrors(form);
    const output = form.querySelector('[data-result]');
    const seq = Number(form.dataset.seq);
    const executing = form.hasAttribute('data-execute');
    const reference = executing ? form.querySelector('[name="reference"]').value.trim() : '';
    if (executing && !reference) return fieldError(form, 'reference', msg('js.required'));
    if (!keyOr(output)) return;
    show(output, msg('js.working'), true);
    try {
      const receipt = executing
        ? await logged('disbursement.executed', fundId, { disbursement: seq, reference })
        : await logged('disbursement.approved', fundId, { disbursement: seq });
      const said = msg(executing ? 'js.cdesk_executed' : 'js.cdesk_approved', { seq, index: receipt.index });
      status(said, true);
      await refresh();
    } catch (e) {
      show(output, e.message, false);
    }
  });
}

// ---- the recipient's acknowledgement -----------------------------------------------------
function acknowledgement(section) {
  const { fund, kind } = section.dataset;
  const seq = Number(section.dataset.seq);
  const form = section.querySelector('form[data-ack-form]');
  const codeFile = form.querySelector('[data-code-file]');
  codeFile?.addEventListener('change', async () => {
    if (codeFile.files[0]) form.querySelector('[name="code"]').value = (await codeFile.files[0].text()).trim();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const output = form.querySelector('[data-result]');
    let key;
    if (kind === 'person') {
      const text = form.querySelector('[name="code"]').value;
      const line = /PRIVATE\+KEY\+\S+/.exec(text)?.[0];
      if (!line) return fieldError(form, 'code', msg('js.cdesk_bad_code'));
      try {
        key = await readSignerFile(line);
      } catch {
        return fieldError(form, 'code', msg('js.cdesk_bad_code'));
      }
      if (b64(key.publicKey) !== section.dataset.key) return fieldError(form, 'code', msg('js.cdesk_wrong_code'));
    } else {
      const file = form.querySelector('[data-key-file]').files[0];
      if (!file) return fieldError(form, 'key', msg('js.required'));
      try {
        key = await readSignerFile(await file.text());
      } catch (e) {
        return fieldError(form, 'key', e.message);
      }
    }
    show(output, msg('js.working'), true);
    try {
      const signed = await sign(statement('disbursement.acknowledged', fund, { disbursement: seq }), [key]);
      const receipt = await send('/api/v1/statements', signed);
      show(output, msg('js.cdesk_acknowledged', { seq, index: receipt.index }), true);
      for (const el of form.querySelectorAll('.field, .actions')) el.hidden = true;
    } catch (e) {
      show(output, e.message, false);
    }
  });
}

// ---- the page ----------------------------------------------------------------------------
for (const el of document.querySelectorAll('[data-js-only]')) el.hidden = false;
for (const el of document.querySelectorAll('input[data-now]')) el.value ||= localNow();
signer();
if (root) {
  const open = root.querySelector('form[data-open-fund]');
  if (open) openFund(open);
  const one = root.querySelector('form[data-donation]');
  if (one) donationForm(one);
  const bank = root.querySelector('[data-import]');
  if (bank) importer(bank);
  const propose = root.querySelector('form[data-propose]');
  if (propose) proposer(propose);
  decisions();
}
const ack = document.querySelector('[data-acknowledge]');
if (ack) acknowledgement(ack);
markMine();
