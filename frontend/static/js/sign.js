// What the signing pages share: messages, bytes, Ed25519 keys made or loaded in the
// browser (key files in the format `vitrine keygen` writes), statements signed as the
// ledger signs them, the JSON API with the session's CSRF token, and form feedback.
import { canonicalize } from './verify.js';

export const utf8 = new TextEncoder();
export const messages = (() => {
  try { return JSON.parse(document.getElementById('vitrine-messages')?.textContent || '{}'); } catch { return {}; }
})();
export function msg(key, args = {}) {
  let text = messages[key] ?? key;
  for (const [k, v] of Object.entries(args)) text = text.replaceAll(`{${k}}`, () => String(v));
  return text;
}

// ---- bytes -------------------------------------------------------------------------------
export const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
export const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
export const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
export const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
export const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
export const random = (n) => crypto.getRandomValues(new Uint8Array(n));

// ---- keys --------------------------------------------------------------------------------
// PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** A key: the WebCrypto private key, the 32-byte public key and the seed. */
export async function keyFromSeed(seed) {
  const privateKey = await crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, seed), { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = Uint8Array.from(atob(jwk.x.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return { privateKey, publicKey, seed };
}

/** A new key, made here. */
export async function newKey() {
  return keyFromSeed(random(32));
}

/** The key's C2SP key id under `name`: SHA-256(name || 0x0A || 0x01 || key)[0..4]. */
export async function keyId(name, publicKey) {
  return hex((await sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, 0x01), publicKey))).slice(0, 4));
}

/** The key as `vitrine keygen` writes it: `PRIVATE+KEY+name+id+base64(0x01 || seed)`. */
export async function signerFile(name, key) {
  return `PRIVATE+KEY+${name}+${await keyId(name, key.publicKey)}+${b64(concat(Uint8Array.of(1), key.seed))}\n`;
}

/** The verifier key line `vitrine keygen` writes to FILE.pub. */
export async function verifierLine(name, key) {
  return `${name}+${await keyId(name, key.publicKey)}+${b64(concat(Uint8Array.of(1), key.publicKey))}`;
}

/** Reads a key file written by `vitrine keygen` (or by this page). */
export async function readSignerFile(text) {
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
export async function sign(statement, keys) {
  const message = concat(utf8.encode('vitrine/statement/v1\n'), canonicalize(statement));
  const signatures = [];
  for (const key of keys) {
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message));
    signatures.push({ public_key: b64(key.publicKey), sig: b64(sig) });
  }
  return { statement, signatures };
}

export const statement = (kind, subject, body) => ({ kind, subject, body, issued_at: new Date().toISOString() });

// The refusals' sentences in the reader's language (none in English), the words some of
// their arguments name (a role, a status, …), and which arguments those are: fetched from
// the file the page names the first time the API refuses, so that pages stay small.
let refusals = { messages: {}, named: {} };
let loading = null;
/** Fetches the refusals' sentences once; without them a refusal is said in English. */
export function loadRefusals() {
  loading ??= (async () => {
    try {
      const url = JSON.parse(document.getElementById('vitrine-refusals')?.textContent || 'null');
      if (typeof url !== 'string' || !url.startsWith('/static/')) return;
      const response = await fetch(url, { credentials: 'same-origin' });
      if (response.ok) refusals = { ...refusals, ...(await response.json()) };
    } catch { /* said in English */ }
  })();
  return loading;
}

/** A keyed sentence (`{key, args, why}`) in the reader's language, or `null`. */
function say(keyed) {
  const { messages: said, named } = refusals;
  const template = keyed?.key && said[`detail.${keyed.key}`];
  if (!template) return null;
  const args = keyed.args || {};
  return template.replace(/\{([a-z0-9_]+)\}/g, (whole, name) => {
    if (!Object.hasOwn(args, name)) return whole;
    const value = String(args[name]);
    if (name === 'why' && keyed.why) return say(keyed.why) ?? value;
    return (Object.hasOwn(named, name) && said[named[name] + value]) || value;
  });
}

/** The API's detail in the reader's language when it is keyed and the page has it. */
export function detailOf(problem) {
  return say({ key: problem?.detail_key, args: problem?.detail_args, why: problem?.detail_why }) ?? String(problem?.detail || '');
}

/** Why the API refused, in the reader's language. */
export class Refused extends Error {
  constructor(problem) {
    const slug = String(problem?.type || '').split('/').pop();
    super(msg('js.failed', { title: messages[`problem.${slug}`] || problem?.title || '', detail: detailOf(problem) }));
    this.problem = problem;
    // The field the refusal concerns, when the server named it (`body.price`, `administrator.email`).
    this.named = problem?.detail_args?.field ? String(problem.detail_args.field) : '';
  }

  /** Shows the refusal by the field of `form` it names (`body.credit_code` names `credit_code`). */
  showBy(form) {
    const at = [...form.querySelectorAll('[data-error-for]')]
      .map((e) => e.dataset.errorFor)
      .find((f) => this.named === f || this.named.endsWith(`.${f}`));
    return Boolean(at) && fieldError(form, at, this.message);
  }
}

/** Sends JSON (or bytes) to the API with the session's CSRF token. */
export async function send(path, body, { csrf, contentType = 'application/json' } = {}) {
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
  if (!response.ok) {
    await loadRefusals();
    throw new Refused(json || { detail: text.slice(0, 300) });
  }
  return json;
}

// ---- forms -------------------------------------------------------------------------------
export function show(output, text, ok) {
  output.textContent = text;
  output.className = ok ? 'verify-ok' : 'verify-failed';
  output.dataset.state = ok ? 'ok' : 'failed';
}

/** Shows a refusal by the field it names (from the API's detail), else on the form. */
export function fieldError(form, field, text) {
  const at = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
  if (!at) return false;
  at.textContent = text;
  at.hidden = false;
  const input = at.closest('.field, fieldset')?.querySelector('input, textarea');
  if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
  return true;
}
export function clearErrors(form) {
  for (const e of form.querySelectorAll('[data-error-for]')) { e.hidden = true; e.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

export function download(link, name, text, type = 'application/json') {
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.hidden = false;
}

export const PRICE = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$/;

export async function hashFiles(files) {
  const out = [];
  for (const file of files) out.push({ sha256: hex(await sha256(new Uint8Array(await file.arrayBuffer()))), title: file.name.slice(0, 300) });
  return out;
}
