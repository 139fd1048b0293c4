/**
 * trace.js: the donor's trace page (/trace). The donor opens the receipt file their
 * charity gave them, a C2SP tlog-proof (c2sp.org/tlog-proof@v1) whose `extra` line is the
 * base64 of JCS({"donor": {...}, "entry": {...}, "salt": "<hex>"}) (ledger/src/donation.rs).
 * Everything is checked here, in the browser; the donor's data never leaves it:
 *
 * 1. the file's form (header, extra, index, proof hashes, an empty line, the checkpoint);
 * 2. the entry, as verify.js checks a receipt: its leaf hash SHA-256(0x00 || JCS(entry)),
 *    its inclusion at the index under the checkpoint's root, the checkpoint's signature
 *    by the log's key (the reader's own, kept by the verifier panels, else the page's) and
 *    the statement's signatures; the statement must be a donation.recorded;
 * 3. the opening: SHA-256("vitrine/donor/v1\n" || JCS(donor) || salt) must be the
 *    statement's body.donor.
 *
 * Then it asks the server only which donation of the fund (the statement's subject) was
 * logged at that entry (GET /api/v1/funds/{fund}/donations?entry=N, with no cookie), and
 * shows that donation's trace, the page /funds/{fund}/donations/{n}, here.
 *
 * DOM contract (frontend/templates/trace.html):
 *   <section data-trace data-verifier-key="..." hidden>   shown by this script
 *     <input type="file" data-receipt-file>
 *     <div data-trace-result>   the checks, one line each; data-trace-state = running | ok | failed
 *   </section>
 *   <div data-trace-found>      the trace, once found (data-trace-fund, data-trace-donation)
 */
import { canonicalize, defaultMessages, verifyReceipt, wire } from './verify.js';

const HEADER = 'c2sp.org/tlog-proof@v1';
const DONOR_DOMAIN = new TextEncoder().encode('vitrine/donor/v1\n');
/** The most bytes a receipt file may have (an entry is at most 65,535). */
const MAX_FILE = 1 << 20;

const messages = (() => {
  try {
    return JSON.parse(document.getElementById('vitrine-messages')?.textContent || '{}') ?? {};
  } catch {
    return {};
  }
})();
const ENGLISH = {
  'js.trace_reading': 'Reading the receipt\u2026',
  'js.trace_too_large': 'the file is larger than a receipt can be',
  'js.trace_malformed': 'it is not a receipt file ({reason})',
  'js.trace_form_cr': 'it has carriage returns',
  'js.trace_form_blank': 'no empty line before the checkpoint',
  'js.trace_form_header': 'its first line is not c2sp.org/tlog-proof@v1',
  'js.trace_form_extra': 'its extra line is not base64',
  'js.trace_form_index': 'no index line',
  'js.trace_form_hashes': 'its proof is not at most 64 base64 hashes',
  'js.trace_no_extra': 'it carries no donation (a plain log proof, not a donor\u2019s receipt)',
  'js.trace_bad_extra': 'its donation data is unreadable ({reason})',
  'js.trace_verified': 'Verified in your browser: entry {index} is in the log of {size} entries, under a checkpoint signed by the log\u2019s key, and its {signatures} signature(s) verify.',
  'js.trace_not_donation': 'entry {index} is a {kind} statement, not a donation',
  'js.trace_opened': 'Your data and salt in the receipt open the donation\u2019s donor commitment: this donation is yours.',
  'js.trace_not_opened': 'The receipt does not open the donation\u2019s donor commitment (your data may have been erased): the donation is verified, but not that it is yours.',
  'js.trace_anonymous': 'An anonymous donation: it has no donor commitment to open.',
  'js.trace_mismatch': 'the data and salt in the receipt do not open the donation\u2019s donor commitment',
  'js.trace_no_commitment': 'the receipt carries donor data, but the donation has no donor commitment',
  'js.trace_donor_data': 'What the receipt holds about you (shown here only, never sent):',
  'js.trace_looking': 'Looking for the donation in fund {fund}\u2026',
  'js.trace_found': 'It is donation {seq} of fund {fund}. Where it went is below.',
  'js.trace_unknown_fund': 'fund {fund} is not on this platform',
  'js.trace_not_found': 'fund {fund} has no donation logged at entry {index}',
  'js.trace_server': 'the server answered HTTP {status}; try again',
  'js.trace_network': 'the server could not be reached; try again',
  'js.trace_refused': 'Refused: {reason}.',
  'js.trace_changed': 'The receipt was changed after it was issued, or is not of this platform\u2019s log: nothing in it can be trusted. Ask your charity for it again.',
};
const format = (text, params = {}) => text.replace(/\{(\w+)\}/g, (all, k) => (k in params ? String(params[k]) : all));
const t = (key, params) =>
  format(typeof messages[key] === 'string' ? messages[key] : (ENGLISH[key] ?? defaultMessages[key] ?? key), params);

/** A refusal: its sentence, in the reader's language. */
class Refused extends Error {}
/** "Refused: <the reason `key` says>." */
const refuse = (key, params = {}) => new Refused(t('js.trace_refused', { reason: t(key, params) }));

const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
function fromBase64(text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) return null;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : null;
}
const sha256 = async (...parts) => {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
};

/** Parses a tlog-proof as the ledger does (TlogProof::parse), strictly. */
export function parseTlogProof(text) {
  const bad = (key) => refuse('js.trace_malformed', { reason: t(key) });
  if (text.includes('\r')) throw bad('js.trace_form_cr');
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw bad('js.trace_form_blank');
  const lines = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (lines.shift() !== HEADER) throw bad('js.trace_form_header');
  let extra = null;
  if (lines[0]?.startsWith('extra ')) {
    extra = fromBase64(lines.shift().slice(6));
    if (!extra?.length) throw bad('js.trace_form_extra');
  }
  const index = /^index (0|[1-9]\d{0,15})$/.exec(lines.shift() ?? '');
  if (!index) throw bad('js.trace_form_index');
  if (lines.length > 64) throw bad('js.trace_form_hashes');
  const proof = lines.map((line) => {
    if (fromBase64(line)?.length !== 32) throw bad('js.trace_form_hashes');
    return line;
  });
  return { extra, index: Number(index[1]), proof, checkpoint };
}

/** The receipt's extra data: the entry, and the donor's data and salt if it opens them. */
function readExtra(bytes) {
  let value;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw refuse('js.trace_bad_extra', { reason: String(e?.message ?? e) });
  }
  const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value) || !isObject(value.entry)) throw refuse('js.trace_bad_extra', { reason: 'no entry' });
  const opening = 'donor' in value || 'salt' in value;
  if (opening && (!isObject(value.donor) || !/^[0-9a-f]{64}$/.test(value.salt ?? ''))) {
    throw refuse('js.trace_bad_extra', { reason: 'donor and salt' });
  }
  return { entry: value.entry, donor: opening ? value.donor : null, salt: opening ? value.salt : null };
}

/**
 * Checks a receipt file's text against the log's verifier key. Throws a Refused; else
 * @returns {Promise<{fund, index, size, signatures, donor: 'opened'|'not_opened'|'anonymous', data}>}
 */
export async function checkReceipt(text, verifierKey) {
  const proof = parseTlogProof(text);
  if (!proof.extra) throw refuse('js.trace_no_extra');
  const { entry, donor, salt } = readExtra(proof.extra);
  let leaf;
  try {
    leaf = await sha256(Uint8Array.of(0), canonicalize(entry));
  } catch (e) {
    throw refuse('js.trace_bad_extra', { reason: String(e?.message ?? e) });
  }
  const receipt = {
    index: proof.index,
    leaf_hash: toBase64(leaf),
    logged_at: entry.logged_at,
    checkpoint: proof.checkpoint,
    inclusion_proof: proof.proof,
    entry,
  };
  const verified = await verifyReceipt(receipt, verifierKey);
  if (!verified.ok) {
    const refused = new Refused(t('verify.ui.failed', { step: t(`verify.step.${verified.step}`), reason: t(verified.code, verified.params) }));
    refused.changed = true;
    throw refused;
  }
  const statement = entry.statement;
  if (statement.kind !== 'donation.recorded') {
    throw refuse('js.trace_not_donation', { index: proof.index, kind: statement.kind });
  }
  const commitment = statement.body?.donor;
  let state = 'anonymous';
  if (donor) {
    if (typeof commitment !== 'string') throw refuse('js.trace_no_commitment');
    const saltBytes = Uint8Array.from(salt.match(/../g), (h) => parseInt(h, 16));
    const opened = toHex(await sha256(DONOR_DOMAIN, canonicalize(donor), saltBytes));
    if (opened !== commitment) throw refuse('js.trace_mismatch');
    state = 'opened';
  } else if (typeof commitment === 'string') {
    state = 'not_opened';
  }
  return { fund: statement.subject, index: verified.index, size: verified.size, signatures: verified.signatures, donor: state, data: donor };
}

/** The number of the donation of `fund` logged at entry `index`. */
async function findDonation(fund, index) {
  const url = `/api/v1/funds/${encodeURIComponent(fund)}/donations?entry=${index}`;
  const response = await fetch(url, { credentials: 'omit', headers: { Accept: 'application/json' } })
    .catch(() => { throw refuse('js.trace_network'); });
  if (response.status === 404) throw refuse('js.trace_unknown_fund', { fund });
  if (!response.ok) throw refuse('js.trace_server', { status: response.status });
  const page = await response.json();
  const found = (page.donations ?? []).find((d) => d.entry === index);
  if (!found) throw refuse('js.trace_not_found', { fund, index });
  return found.seq;
}

/** Shows the trace page of donation `seq` of `fund` in `into`. */
async function showTrace(fund, seq, into) {
  const url = `/funds/${encodeURIComponent(fund)}/donations/${seq}`;
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
    .catch(() => { throw refuse('js.trace_network'); });
  if (!response.ok) throw refuse('js.trace_server', { status: response.status });
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  const trace = page.getElementById('trace');
  if (!trace) throw refuse('js.trace_server', { status: response.status });
  // One main heading on this page: the trace's becomes a section's.
  const heading = trace.querySelector('h1');
  if (heading) {
    const h2 = page.createElement('h2');
    h2.id = heading.id;
    h2.append(...heading.childNodes);
    heading.replaceWith(h2);
  }
  const link = page.createElement('p');
  const a = page.createElement('a');
  a.href = url;
  a.textContent = url;
  link.append(a);
  trace.prepend(link);
  into.replaceChildren(document.importNode(trace, true));
  into.dataset.traceFund = fund;
  into.dataset.traceDonation = String(seq);
  await wire(into);
}

/** The key the checkpoint is checked with: the reader's own if they gave one on a
 * verifier panel (verify.js keeps it), else the one this page names. */
function verifierKey(panel) {
  let own = '';
  try {
    own = localStorage.getItem('vitrine.verifierKey') ?? '';
  } catch {} // no storage: the page's key
  return own || panel.dataset.verifierKey || '';
}

function setUp(panel) {
  const input = panel.querySelector('[data-receipt-file]');
  const out = panel.querySelector('[data-trace-result]');
  const found = document.querySelector('[data-trace-found]');
  if (!input || !out || !found) return;
  panel.hidden = false;
  const list = document.createElement('ul');
  list.className = 'checks';
  const say = (text, kind = 'info') => {
    const li = document.createElement('li');
    li.className = `check-${kind}`;
    li.textContent = text;
    list.append(li);
    return li;
  };
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    found.replaceChildren();
    delete found.dataset.traceFund;
    delete found.dataset.traceDonation;
    list.replaceChildren();
    out.replaceChildren(list);
    out.dataset.traceState = 'running';
    out.setAttribute('aria-busy', 'true');
    const reading = say(t('js.trace_reading'));
    try {
      if (file.size > MAX_FILE) throw refuse('js.trace_too_large');
      const text = await file.text();
      reading.remove();
      const result = await checkReceipt(text, verifierKey(panel));
      say(t('js.trace_verified', result), 'ok');
      say(t(`js.trace_${result.donor}`), result.donor === 'not_opened' ? 'warn' : 'ok');
      if (result.data) {
        const details = document.createElement('dl');
        details.className = 'donor-data';
        for (const [name, value] of Object.entries(result.data)) {
          const [dt, dd] = [document.createElement('dt'), document.createElement('dd')];
          dt.textContent = name;
          dd.textContent = typeof value === 'string' ? value : JSON.stringify(value);
          details.append(dt, dd);
        }
        say(t('js.trace_donor_data')).append(details);
      }
      const looking = say(t('js.trace_looking', { fund: result.fund }));
      const seq = await findDonation(result.fund, result.index);
      looking.remove();
      await showTrace(result.fund, seq, found);
      say(t('js.trace_found', { seq, fund: result.fund }), 'ok');
      out.dataset.traceState = 'ok';
    } catch (e) {
      reading.remove();
      list.querySelector('.check-info:last-child')?.remove(); // "looking"
      say(e instanceof Refused ? e.message : t('js.trace_refused', { reason: String(e?.message ?? e) }), 'failed');
      if (e?.changed) say(t('js.trace_changed'));
      out.dataset.traceState = 'failed';
    } finally {
      out.removeAttribute('aria-busy');
    }
  });
}

const panel = document.querySelector('[data-trace]');
if (panel) setUp(panel);
