// A bidder's tools, in the browser: the organisation's key made at registration, questions
// under one-time keys, and sealed bids — committed, replaced, withdrawn and revealed. Keys
// are WebCrypto Ed25519 keys made here; a private key leaves the browser only as a file the
// bidder saves. Before the reveal, a bid's price and documents never leave the browser:
// only its commitment does. Statements go to the JSON API with the session's CSRF token.
import { canonicalize } from './verify.js';

const utf8 = new TextEncoder();
const messages = (() => {
  try { return JSON.parse(document.getElementById('vitrine-messages')?.textContent || '{}'); } catch { return {}; }
})();
function msg(key, args = {}) {
  let text = messages[key] ?? key;
  for (const [k, v] of Object.entries(args)) text = text.replaceAll(`{${k}}`, String(v));
  return text;
}

// ---- bytes -------------------------------------------------------------------------------
const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
const random = (n) => crypto.getRandomValues(new Uint8Array(n));

// ---- keys --------------------------------------------------------------------------------
// PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** A key: the WebCrypto private key, the 32-byte public key and the seed. */
async function keyFromSeed(seed) {
  const privateKey = await crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, seed), { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = Uint8Array.from(atob(jwk.x.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return { privateKey, publicKey, seed };
}

/** A new key, made here. */
async function newKey() {
  return keyFromSeed(random(32));
}

/** The key's C2SP key id under `name`: SHA-256(name || 0x0A || 0x01 || key)[0..4]. */
async function keyId(name, publicKey) {
  return hex((await sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, 0x01), publicKey))).slice(0, 4));
}

/** The key as `vitrine keygen` writes it: `PRIVATE+KEY+name+id+base64(0x01 || seed)`. */
async function signerFile(name, key) {
  return `PRIVATE+KEY+${name}+${await keyId(name, key.publicKey)}+${b64(concat(Uint8Array.of(1), key.seed))}\n`;
}

/** The verifier key line `vitrine keygen` writes to FILE.pub. */
async function verifierLine(name, key) {
  return `${name}+${await keyId(name, key.publicKey)}+${b64(concat(Uint8Array.of(1), key.publicKey))}`;
}

/** Reads a key file written by `vitrine keygen` (or by this page). */
async function readSignerFile(text) {
  const m = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)\s*$/.exec(text.trim());
  if (!m) throw new Error(msg('js.bad_key_file'));
  const material = unb64(m[3]);
  if (material.length !== 33 || material[0] !== 1) throw new Error(msg('js.bad_key_file'));
  const key = await keyFromSeed(material.slice(1));
  if (await keyId(m[1], key.publicKey) !== m[2]) throw new Error(msg('js.bad_key_file'));
  return { name: m[1], ...key };
}

// ---- statements --------------------------------------------------------------------------
/** A statement signed by every key: Ed25519 over "vitrine/statement/v1\n" || JCS(statement). */
async function sign(statement, keys) {
  const message = concat(utf8.encode('vitrine/statement/v1\n'), canonicalize(statement));
  const signatures = [];
  for (const key of keys) {
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message));
    signatures.push({ public_key: b64(key.publicKey), sig: b64(sig) });
  }
  return { statement, signatures };
}

const statement = (kind, subject, body) => ({ kind, subject, body, issued_at: new Date().toISOString() });

/** Why the API refused, in the reader's language, with the API's own detail. */
class Refused extends Error {
  constructor(problem) {
    const slug = String(problem?.type || '').split('/').pop();
    super(msg('js.failed', { title: messages[`problem.${slug}`] || problem?.title || '', detail: problem?.detail || '' }));
    this.problem = problem;
  }
}

/** Sends JSON (or bytes) to the API with the session's CSRF token. */
async function send(path, body, { csrf, contentType = 'application/json' } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': contentType, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      body: contentType === 'application/json' ? JSON.stringify(body) : body,
    });
  } catch {
    throw new Error(msg('js.network'));
  }
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!response.ok) throw new Refused(json || { detail: text.slice(0, 300) });
  return json;
}

// ---- forms -------------------------------------------------------------------------------
function show(output, text, ok) {
  output.textContent = text;
  output.className = ok ? 'verify-ok' : 'verify-failed';
  output.dataset.state = ok ? 'ok' : 'failed';
}

/** Shows a refusal by the field it names (from the API's detail), else on the form. */
function fieldError(form, field, text) {
  const at = form.querySelector(`[data-error-for="${field}"]`);
  if (!at) return false;
  at.textContent = text;
  at.hidden = false;
  const input = at.closest('.field, fieldset')?.querySelector('input, textarea');
  if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
  return true;
}
function clearErrors(form) {
  for (const e of form.querySelectorAll('[data-error-for]')) { e.hidden = true; e.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

function download(link, name, text, type = 'application/json') {
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.hidden = false;
}

const PRICE = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$/;

async function hashFiles(files) {
  const out = [];
  for (const file of files) out.push({ sha256: hex(await sha256(new Uint8Array(await file.arrayBuffer()))), title: file.name.slice(0, 300) });
  return out;
}

// ---- registration ------------------------------------------------------------------------
function registration(form) {
  const done = document.querySelector('[data-register-done]');
  const error = form.querySelector('[data-form-error]');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    error.hidden = true;
    const data = Object.fromEntries(new FormData(form));
    for (const [name, value] of Object.entries(data)) if (!String(value).trim()) return fieldError(form, name, msg('js.required'));
    try {
      const key = await newKey();
      const id = data.id.trim();
      const body = { id, name: data.name.trim(), kind: 'supplier', credit_code: data.credit_code.trim().toUpperCase() };
      const signed = await sign(statement('organisation.registered', id, body), [key]);
      const answer = await send('/api/v1/registrations', {
        statement: signed,
        administrator: { email: data.email.trim(), display_name: data.display_name.trim(), password: data.password },
      });
      download(done.querySelector('[data-key-download]'), `${id}.key`, await signerFile(id, key), 'text/plain');
      done.querySelector('[data-register-number]').textContent = msg('js.registered', { id: answer.id });
      done.querySelector('[data-public-key]').textContent = await verifierLine(id, key);
      form.hidden = true;
      done.hidden = false;
      done.dataset.state = 'ok';
      done.querySelector('[data-key-download]').focus();
    } catch (e) {
      const detail = e.problem?.detail || '';
      const field = ['credit_code', 'display_name', 'email', 'password', 'name', 'id']
        .find((f) => detail.includes(`administrator.${f}`) || detail.includes(`body.${f}`) || detail.includes(f.replace('_', ' ')));
      if (!field || !fieldError(form, field, e.message)) {
        error.textContent = e.message;
        error.hidden = false;
      }
      form.dataset.state = 'failed';
    }
  });
}

// ---- bidding -----------------------------------------------------------------------------
function bidding(root) {
  const { tender, organisation, csrf, currency } = root.dataset;
  const storeKey = `vitrine.bid.${tender}`;
  let current = null; // the bid file: {format, tender, bid, salt, commitment, one_time_key, receipt}

  const mine = root.querySelector('[data-mine]');
  const summary = mine.querySelector('[data-bid-summary]');
  const withdraw = mine.querySelector('[data-withdraw]');
  const fileLink = mine.querySelector('[data-bid-download]');

  function remember(file) {
    current = file;
    localStorage.setItem(storeKey, JSON.stringify(file));
    summary.textContent = msg('js.bid_loaded', {
      commitment: `${file.commitment.slice(0, 12)}…`,
      price: `${file.bid.price.currency} ${file.bid.price.amount}`,
      lots: file.bid.lots.join(', '),
    });
    summary.className = '';
    download(fileLink, `bid-${tender}-${file.commitment.slice(0, 8)}.json`, `${JSON.stringify(file, null, 1)}\n`);
    withdraw.hidden = false;
  }

  async function load(text) {
    const file = JSON.parse(text);
    if (file.format !== 'vitrine-bid/v1' || file.tender !== tender || !file.one_time_key || !file.salt) throw new Error(msg('js.bad_bid_file'));
    remember(file);
  }
  const stored = localStorage.getItem(storeKey);
  if (stored) load(stored).catch(() => localStorage.removeItem(storeKey));

  mine.querySelector('[data-bid-file]').addEventListener('change', async (event) => {
    const output = mine.querySelector('[data-result]');
    try { await load(await event.target.files[0].text()); show(output, summary.textContent, true); } catch (e) { show(output, e.message, false); }
  });

  // A question, under a one-time key of its own.
  const ask = root.querySelector('[data-ask]');
  ask.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(ask);
    const output = ask.querySelector('[data-result]');
    const question = ask.querySelector('textarea').value.trim();
    if (!question) return fieldError(ask, 'question', msg('js.required'));
    show(output, msg('js.working'), true);
    try {
      const signed = await sign(statement('enquiry.asked', tender, { question }), [await newKey()]);
      const receipt = await send('/api/v1/statements', signed, { csrf });
      show(output, msg('js.asked', { index: receipt.index }), true);
      ask.reset();
    } catch (e) {
      if (!fieldError(ask, 'question', e.message)) show(output, e.message, false);
      else show(output, '', false);
    }
  });

  // A sealed bid: the bid, a salt and a one-time key stay here; the commitment is sent.
  const commit = root.querySelector('[data-commit]');
  commit.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(commit);
    const output = commit.querySelector('[data-result]');
    const lots = [...commit.querySelectorAll('input[name="lot"]:checked')].map((i) => i.value);
    const amount = commit.querySelector('#price').value.trim();
    if (!lots.length) return fieldError(commit, 'lots', msg('js.choose_lot'));
    if (!PRICE.test(amount)) return fieldError(commit, 'price', msg('js.bad_price'));
    show(output, msg('js.working'), true);
    try {
      const documents = await hashFiles(commit.querySelector('#documents').files);
      const bid = { tender, lots, bidder: organisation, price: { amount, currency }, documents };
      const salt = random(32);
      const commitment = hex(await sha256(concat(utf8.encode('vitrine/bid/v1\n'), canonicalize(bid), salt)));
      // Replacing keeps the one-time key of the bid it replaces, which signs both.
      const replacing = current && current.status !== 'withdrawn' ? current : null;
      const oneTime = replacing ? await readSignerFile(replacing.one_time_key) : { name: 'bid', ...(await newKey()) };
      const body = replacing ? { commitment, replaces: replacing.commitment } : { commitment };
      const signed = await sign(statement('bid.committed', tender, body), [oneTime]);
      const receipt = await send('/api/v1/statements', signed, { csrf });
      remember({
        format: 'vitrine-bid/v1', tender, bid, salt: hex(salt), commitment,
        one_time_key: await signerFile('bid', oneTime), receipt,
      });
      show(output, msg('js.committed', { index: receipt.index }), true);
      fileLink.focus();
    } catch (e) {
      show(output, e.message, false);
    }
  });

  withdraw.addEventListener('click', async () => {
    const output = mine.querySelector('[data-result]');
    if (!current) return show(output, msg('js.no_bid'), false);
    show(output, msg('js.working'), true);
    try {
      const oneTime = await readSignerFile(current.one_time_key);
      const signed = await sign(statement('bid.withdrawn', tender, { commitment: current.commitment }), [oneTime]);
      const receipt = await send('/api/v1/statements', signed, { csrf });
      remember({ ...current, status: 'withdrawn', withdrawn: receipt });
      withdraw.hidden = true;
      show(output, msg('js.withdrawn', { index: receipt.index }), true);
    } catch (e) {
      show(output, e.message, false);
    }
  });

  // The reveal: the documents uploaded, then the bid and salt signed by the one-time key
  // and the organisation's registered key.
  const reveal = root.querySelector('[data-reveal]');
  reveal.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(reveal);
    const output = reveal.querySelector('[data-result]');
    if (!current) return show(output, msg('js.no_bid'), false);
    let key;
    try {
      const file = reveal.querySelector('[data-key-file]').files[0];
      if (!file) return fieldError(reveal, 'key', msg('js.required'));
      key = await readSignerFile(await file.text());
    } catch (e) {
      return fieldError(reveal, 'key', e.message);
    }
    const files = [...reveal.querySelector('[data-reveal-documents]').files];
    const hashes = (await hashFiles(files)).map((d) => d.sha256).sort();
    const committed = current.bid.documents.map((d) => d.sha256).sort();
    if (hashes.join() !== committed.join()) return fieldError(reveal, 'reveal_documents', msg('js.documents_differ'));
    show(output, msg('js.working'), true);
    try {
      for (const file of files) {
        await send('/api/v1/documents', new Uint8Array(await file.arrayBuffer()), { csrf, contentType: file.type || 'application/octet-stream' });
      }
      const oneTime = await readSignerFile(current.one_time_key);
      const body = { commitment: current.commitment, bid: current.bid, salt: current.salt };
      const signed = await sign(statement('bid.revealed', tender, body), [oneTime, key]);
      const receipt = await send('/api/v1/statements', signed, { csrf });
      remember({ ...current, status: 'revealed', revealed: receipt });
      show(output, msg('js.revealed', { index: receipt.index }), true);
    } catch (e) {
      show(output, e.message, false);
    }
  });
}

for (const el of document.querySelectorAll('[data-js-only]')) el.hidden = false;
const form = document.querySelector('form[data-register]');
if (form) registration(form);
const root = document.querySelector('[data-bidding]');
if (root) bidding(root);
