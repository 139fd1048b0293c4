/**
 * verify.js: checks Vitrine log receipts in the browser (DESIGN.md, "The log") with
 * WebCrypto only, under the CSP default-src 'self', with the verdicts of `vitrine
 * check-receipt` (tests/browser/verify-vectors.mjs). DOM contract (the templates emit it;
 * the page's script calls wire(document)):
 *
 *   <div id="verifier" data-verifier-key="vitrine.example/log+1a2b3c4d+AQ...">
 *     <label for="verifier-key">...</label>
 *     <textarea id="verifier-key" data-verify-key></textarea>     (empty by default)
 *     <button type="button" data-verify-all hidden>...</button>
 *   </div>
 *   <span data-verify-index="41" data-verify-auto>                 (auto: verified on load)
 *     <button type="button" data-verify-run hidden>...</button>
 *     <output data-verify-result></output>
 *   </span>
 *   <script type="application/json" id="vitrine-messages">{"verify.ui.ok": "...", ...}</script>
 *
 * - wire() unhides the [data-verify-run] and [data-verify-all] buttons and the elements of
 *   class js-only (removing the class).
 * - The key is the textarea's text if not empty (kept in localStorage as
 *   vitrine.verifierKey, restored on the next visit, forgotten when emptied), else
 *   #verifier's data-verifier-key.
 * - [data-verify-run] verifies its entry, [data-verify-all] every [data-verify-index]: it
 *   fetches /api/v1/entries/N/receipt (same origin, credentials omitted), writes the
 *   outcome as text into [data-verify-result] and sets on the entry the class verify-ok or
 *   verify-failed and data-verify-state="ok" or "failed" ("running", aria-busy, meanwhile).
 * - Messages: #vitrine-messages holds the verify.* keys of the reader's locale
 *   (frontend/locales/<lang>/verify.json); English is the fallback.
 */

const UI = {
  running: 'Verifying\u2026',
  ok: 'Verified: entry {index} is in the log of {size} entries, with {signatures} valid signature(s) ({ms} ms).',
  okLeafOnly: 'Verified: leaf {index} is in the log of {size} entries (the receipt holds no entry to check).',
  failed: 'Not verified: the step \u201c{step}\u201d failed: {reason}.',
};
const STEPS = {
  fetch: 'download',
  receipt: 'receipt',
  key: 'verifier key',
  checkpoint: 'checkpoint',
  entry: 'entry',
  leaf: 'leaf hash',
  inclusion: 'inclusion proof',
  signatures: 'statement signatures',
  consistency: 'consistency proof',
  internal: 'verifier',
};
const ERRORS = {
  fetchStatus: 'the server answered HTTP {status}',
  fetchNetwork: 'the receipt could not be downloaded',
  receiptJson: 'it is not a JSON object',
  receiptMember: 'its member {member} is missing or malformed',
  receiptUnknown: 'it has an unknown member {member}',
  receiptDuplicate: 'its member {member} appears twice',
  receiptIndex: 'it is the receipt of entry {got}, not {expected}',
  keyMissing: 'no verifier key was given',
  keyPrivate: 'this is a private key; give the verifier key',
  keyFormat: 'it is not name+keyid+key (8 lower-case hex digits, base64 of 33 bytes)',
  keyType: 'the key type 0x{type} is not Ed25519 (0x01)',
  keyPoint: 'it is a point of small order',
  keyId: 'the key ID {given} does not match the key (expected {expected})',
  noteText: 'it is not text of at most 65,536 bytes without control characters',
  noteForm: 'it is not a text, a blank line and signature lines',
  noteTooManySignatures: 'it has more than 100 signatures',
  noteLine: 'malformed signature line \u201c{line}\u201d',
  checkpointBody: 'its lines are not an origin, a decimal tree size below 2^64 and a base64 root hash',
  originMismatch: 'its origin {origin} is not the key\u2019s name {name}',
  unsigned: 'it is not signed by {name}',
  checkpointSignature: 'the signature by {name} does not verify',
  float: 'a floating-point number at {path}',
  bigInteger: 'the integer at {path} is beyond \u00b1(2^53 \u2212 1)',
  loneSurrogate: 'the text at {path} is not valid Unicode',
  depth: 'it is nested deeper than 64 levels',
  notJson: 'the value at {path} is not JSON',
  entryTooLarge: 'it has {size} bytes, more than 65,535',
  entryShape: 'it is not an object of logged_at, signatures and statement',
  time: '{field} is not a time like 2026-11-21T17:25:58Z',
  statementMember: 'the statement\u2019s {member} is missing or of the wrong type',
  kind: 'the kind \u201c{kind}\u201d is not like bid.committed',
  subject: 'the subject must have 1 to 256 characters',
  signatureForm: 'signature {n} is not a base64 public_key of 32 bytes and sig of 64',
  signatureCount: 'the statement must have 1 to 16 signatures',
  duplicateSigner: 'the same key signed twice',
  leafMismatch: 'the entry does not hash to the receipt\u2019s leaf hash',
  loggedAtMismatch: 'the entry\u2019s logged_at {entry} is not the receipt\u2019s {receipt}',
  indexRange: 'entry {index} is not in a tree of {size} entries',
  proofLength: 'the proof has {given} hashes, not the number the tree size needs',
  proofRoot: 'the proof does not lead to the checkpoint\u2019s root hash',
  badSignature: 'signature {n} (key {key}) does not verify',
  weakKey: 'signature {n}: the key {key} is of small order',
  weakR: 'signature {n}: its R is of small order',
  scalar: 'signature {n}: its S is not below the group order',
  consistencyInput: 'the sizes or hashes are malformed',
  consistencyOrder: 'a tree of {from} entries cannot extend to {to} entries',
  consistencyRoot: 'the proof does not lead to the two root hashes',
  noCrypto: 'this browser lacks WebCrypto Ed25519; use the vitrine command',
  internal: 'unexpected error: {detail}',
};
/** The English messages, as in frontend/locales/en/verify.json. */
const groups = Object.entries({ ui: UI, step: STEPS, error: ERRORS });
export const defaultMessages = Object.freeze(
  Object.fromEntries(groups.flatMap(([g, m]) => Object.entries(m).map(([k, v]) => [`verify.${g}.${k}`, v]))),
);
const format = (text, params = {}) => text.replace(/\{(\w+)\}/g, (all, k) => (k in params ? String(params[k]) : all));

/** A refusal: the step that failed and why (`code`, a message key, and `params`). */
export class VerifyError extends Error {
  constructor(step, code, params = {}) {
    super(format(ERRORS[code] ?? code, params));
    Object.assign(this, { step, code: `verify.error.${code}`, params });
  }
}
const refuse = (step, code, params) => {
  throw new VerifyError(step, code, params);
};
const refuser = (step) => (code, params) => refuse(step, code, params);
function failure(e) {
  if (!(e instanceof VerifyError)) e = new VerifyError('internal', 'internal', { detail: String(e?.message ?? e) });
  return { ok: false, step: e.step, code: e.code, params: e.params, message: e.message };
}

// -- bytes, base64, SHA-256

const utf8 = new TextEncoder();
const subtle = () => globalThis.crypto?.subtle ?? refuse('internal', 'noCrypto');
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
/** Canonical padded base64, as the ledger decodes it: the bytes, or null. */
function fromBase64(text) {
  if (typeof text !== 'string' || text.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : null; // no stray trailing bits
}
/** 32 bytes, as themselves or in base64; else null. */
const hash32 = (v) => {
  const bytes = v instanceof Uint8Array ? v : fromBase64(v);
  return bytes?.length === 32 ? bytes : null;
};
const sha256 = async (...parts) => new Uint8Array(await subtle().digest('SHA-256', concat(...parts)));
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

// -- Ed25519 as verify_strict: WebCrypto refuses S >= L and a non-canonical R but accepts
// small-order keys and R, so those are refused first.

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const Y8 = 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n; // y of the order-8 points
const littleEndian = (bytes) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
/** Whether it encodes a point of order 1, 2, 4 or 8, whatever its sign bit and y form. */
function isSmallOrder(bytes) {
  const y = (littleEndian(bytes) & ((1n << 255n) - 1n)) % P; // curve25519-dalek reduces y too
  return y === 0n || y === 1n || y === P - 1n || y === Y8 || y === P - Y8;
}
const imported = new Map();
/** null if the signature verifies as with verify_strict, else why not (a key that is not
 * a point fails in WebCrypto). */
async function verifyStrict(publicKey, signature, message) {
  if (isSmallOrder(publicKey)) return 'weakKey';
  if (signature.length !== 64) return 'badSignature';
  if (littleEndian(signature.subarray(32)) >= L) return 'scalar';
  if (isSmallOrder(signature.subarray(0, 32))) return 'weakR';
  const id = toHex(publicKey);
  try {
    if (!imported.has(id)) imported.set(id, await subtle().importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']));
    return (await subtle().verify({ name: 'Ed25519' }, imported.get(id), signature, message)) ? null : 'badSignature';
  } catch (e) {
    if (e instanceof VerifyError || e?.name === 'NotSupportedError') refuse('internal', 'noCrypto');
    return 'badSignature';
  }
}

// -- verifier keys, signed notes, checkpoints (C2SP)

/** Rust's trim() and char::is_whitespace: the Unicode White_Space property. */
const trim = (s) => s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
const validName = (name) => name !== '' && !name.includes('+') && !/\p{White_Space}/u.test(name);
const wellFormed = (s) => (s.isWellFormed ? s.isWellFormed() : !/\p{Surrogate}/u.test(s));
const chars = (s, n) => Array.from(s).slice(0, n).join('');

/**
 * Parses a verifier key `name+keyid+base64(0x01 || key)` as the ledger does; throws a
 * VerifyError (step 'key'). @returns {Promise<{name, keyId, publicKey, text}>}
 */
export async function parseVerifierKey(text) {
  const fail = refuser('key');
  text = typeof text === 'string' ? trim(text) : '';
  if (text === '') fail('keyMissing');
  if (text.startsWith('PRIVATE+KEY+')) fail('keyPrivate');
  const [name, hash = ''] = text.split('+', 2);
  const material = fromBase64(text.slice(name.length + hash.length + 2));
  const shape = text.includes('+', name.length + 1) && validName(name) && /^[0-9a-f]{8}$/.test(hash);
  if (!shape || !material?.length) fail('keyFormat');
  if (material[0] !== 1) fail('keyType', { type: material[0].toString(16).padStart(2, '0') });
  if (material.length !== 33) fail('keyFormat');
  const publicKey = material.slice(1);
  if (isSmallOrder(publicKey)) fail('keyPoint');
  const expected = toHex((await sha256(utf8.encode(name), Uint8Array.of(10, 1), publicKey)).subarray(0, 4));
  if (expected !== hash) fail('keyId', { given: hash, expected });
  return { name, keyId: parseInt(hash, 16), publicKey, text };
}

/** Splits a signed note into its text and signature lines, as Note::parse. */
function parseNote(all) {
  const fail = refuser('checkpoint');
  const isText = typeof all === 'string' && wellFormed(all) && !/[\x00-\x09\x0b-\x1f]/.test(all);
  if (!isText || utf8.encode(all).length > 65536) fail('noteText');
  const split = all.lastIndexOf('\n\n');
  if (!all.endsWith('\n') || split < 0) fail('noteForm');
  const signatures = [];
  for (const line of all.slice(split + 2).split('\n').slice(0, -1)) {
    if (signatures.length === 100) fail('noteTooManySignatures');
    const space = line.indexOf(' ', 2);
    const [name, bytes] = [line.slice(2, space), fromBase64(line.slice(space + 1))];
    const ok = line.startsWith('\u2014 ') && space >= 0 && validName(name) && bytes?.length >= 5;
    if (!ok) fail('noteLine', { line: chars(line, 120) });
    signatures.push({ name, keyId: new DataView(bytes.buffer).getUint32(0), signature: bytes.slice(4) });
  }
  if (signatures.length === 0) fail('noteForm');
  return { text: all.slice(0, split + 1), signatures };
}

/** verifyCheckpoint that throws, with a bigint size and the root in bytes. */
async function openCheckpoint(noteText, key) {
  const fail = refuser('checkpoint');
  const note = parseNote(noteText);
  // The body, as Checkpoint::parse reads it.
  const [origin, size, rootLine, ...extensions] = note.text.slice(0, -1).split('\n');
  const root = hash32(rootLine);
  const sizeOk = /^(0|[1-9]\d*)$/.test(size ?? '') && BigInt(size) < 2n ** 64n;
  if (origin === '' || !sizeOk || !root || extensions.includes('')) fail('checkpointBody');
  if (origin !== key.name) fail('originMismatch', { origin, name: key.name });
  const mine = note.signatures.filter((s) => s.name === key.name && s.keyId === key.keyId);
  if (mine.length === 0) fail('unsigned', { name: key.text });
  for (const s of mine) {
    if (await verifyStrict(key.publicKey, s.signature, utf8.encode(note.text))) fail('checkpointSignature', { name: key.name });
  }
  return { origin, size: BigInt(size), root, extensions, text: note.text };
}

/**
 * Checks a signed checkpoint with the log's key (text or parsed): the origin is its name and
 * every line of the key (name, key ID) verifies, one at least; others are ignored. Never
 * throws. @returns {Promise<{ok: true, origin, size, root, extensions, text} | {ok: false, …}>}
 */
export async function verifyCheckpoint(noteText, key) {
  try {
    const cp = await openCheckpoint(noteText, typeof key === 'object' && key ? key : await parseVerifierKey(key));
    return { ok: true, ...cp, size: toNumber(cp.size), root: toBase64(cp.root) };
  } catch (e) {
    return failure(e);
  }
}

// -- canonical JSON (RFC 8785) and entries

const pointer = (path, key) => `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
function jcs(value, depth, path) {
  const fail = (code, at = path) => refuse('entry', code, { path: at || '/' });
  if (depth > 64) fail('depth');
  if (typeof value === 'string') return wellFormed(value) ? JSON.stringify(value) : fail('loneSurrogate');
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail('float');
    return Number.isSafeInteger(value) ? JSON.stringify(value) : fail('bigInteger'); // -0 is written 0
  }
  if (typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map((v, i) => jcs(v, depth + 1, pointer(path, i))).join(',')}]`;
  const proto = typeof value === 'object' && Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) fail('notJson');
  const members = Object.keys(value).sort(); // by UTF-16 code units
  for (const k of members) if (!wellFormed(k)) fail('loneSurrogate', pointer(path, k));
  return `{${members.map((k) => `${JSON.stringify(k)}:${jcs(value[k], depth + 1, pointer(path, k))}`).join(',')}}`;
}

/**
 * The RFC 8785 canonical form of a JSON value, in UTF-8. Throws a VerifyError (step 'entry')
 * on non-integers, integers beyond ±(2^53 − 1), lone surrogates, depth > 64, non-JSON.
 */
export function canonicalize(value) {
  return utf8.encode(jcs(value, 0, ''));
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasExactly = (o, names) => Object.keys(o).length === names.length && names.every((n) => Object.hasOwn(o, n));

/** An RFC 3339 UTC time as Timestamp::parse reads it, or null, without trailing zeros
 * in the fraction: equal times, equal strings. */
function parseTime(text) {
  const m = typeof text === 'string' && /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,9})?Z$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (!monthDays || d < 1 || d > monthDays || h > 23 || mi > 59 || s > 59) return null;
  return `${text.slice(0, 19)}${(m[7] ?? '').replace(/\.?0*$/, '')}Z`;
}

/** Checks an entry as Entry::parse: an object of three members, its signatures objects. */
function readEntry(value) {
  const fail = refuser('entry');
  const bytes = canonicalize(value);
  if (bytes.length > 65535) fail('entryTooLarge', { size: bytes.length });
  let [loggedAt, signatures, st] = [];
  if (isObject(value) && hasExactly(value, ['logged_at', 'signatures', 'statement'])) {
    ({ logged_at: loggedAt, signatures, statement: st } = value);
  }
  if (typeof loggedAt !== 'string' || !Array.isArray(signatures)) fail('entryShape');
  const time = parseTime(loggedAt);
  if (time === null) fail('time', { field: 'logged_at' });
  for (const member of ['statement', 'kind', 'subject', 'issued_at', 'body']) {
    const v = member === 'statement' ? st : st[member];
    if (['statement', 'body'].includes(member) ? !isObject(v) : typeof v !== 'string') fail('statementMember', { member });
  }
  const kindOk = st.kind.length <= 64 && st.kind.split('.').every((part) => /^[a-z][a-z0-9_]*$/.test(part));
  if (!kindOk) fail('kind', { kind: chars(st.kind, 80) });
  const length = Array.from(st.subject).length; // Unicode scalar values, as Rust's chars()
  if (length < 1 || length > 256) fail('subject');
  if (parseTime(st.issued_at) === null) fail('time', { field: 'issued_at' });
  const decoded = signatures.map((s, i) => {
    const [text, sig] = isObject(s) && hasExactly(s, ['public_key', 'sig']) ? [s.public_key, s.sig] : [];
    const [publicKey, signature] = [fromBase64(text), fromBase64(sig)];
    if (publicKey?.length !== 32 || signature?.length !== 64) fail('signatureForm', { n: i + 1 });
    return { publicKey, signature, text };
  });
  if (decoded.length === 0 || decoded.length > 16) fail('signatureCount');
  if (new Set(decoded.map((s) => s.text)).size !== decoded.length) fail('duplicateSigner');
  return { bytes, statement: canonicalize(st), signatures: decoded, time, loggedAt };
}

// -- Merkle proofs (RFC 9162 §2.1.3.2, §2.1.4.2), in bigints: sizes are u64

const toBig = (n) =>
  typeof n === 'bigint' ? (n >= 0n ? n : null)
  : typeof n === 'string' ? (/^(0|[1-9]\d*)$/.test(n) ? BigInt(n) : null)
  : Number.isSafeInteger(n) && n >= 0 ? BigInt(n) : null;
const toNumber = (n) => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : String(n));
/** Walks a proof up the tree (RFC 9162), calling hash(c, left) per hash; fails on a proof
 * of the wrong length, as the ledger does. */
async function walk(fn, sn, path, hash, wrongLength) {
  for (const c of path) {
    if (sn === 0n) wrongLength();
    const left = Boolean(fn & 1n) || fn === sn;
    await hash(c, left);
    if (left && !(fn & 1n)) while (!(fn & 1n) && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  if (sn !== 0n) wrongLength();
}

async function verifyInclusion(leaf, index, size, proof, root) {
  const fail = refuser('inclusion');
  if (index >= size) fail('indexRange', { index: String(index), size: String(size) });
  let r = leaf;
  const step = async (p, left) => (r = left ? await nodeHash(p, r) : await nodeHash(r, p));
  await walk(index, size - 1n, proof, step, () => fail('proofLength', { given: proof.length }));
  if (!equal(r, root)) fail('proofRoot');
}

/**
 * Verifies a consistency proof (RFC 9162 §2.1.4.2) as verify_consistency: the tree of
 * fromSize entries (root fromRoot) is a prefix of that of toSize (root toRoot). Sizes are
 * numbers, bigints or decimal strings; hashes base64 or Uint8Arrays. Never throws.
 * @returns {Promise<{ok: true} | {ok: false, step: 'consistency', code, params, message}>}
 */
export async function verifyConsistency({ fromSize, fromRoot, toSize, toRoot, proof } = {}) {
  try {
    const fail = refuser('consistency');
    const [old, size, oldRoot, newRoot] = [toBig(fromSize), toBig(toSize), hash32(fromRoot), hash32(toRoot)];
    const path = Array.isArray(proof) ? proof.map(hash32) : [null];
    if (old === null || size === null || !oldRoot || !newRoot || path.includes(null)) fail('consistencyInput');
    if (old > size) fail('consistencyOrder', { from: String(old), to: String(size) });
    const given = path.length;
    const wrongLength = () => fail('proofLength', { given });
    if (old === size || old === 0n) {
      // Equal sizes need equal roots; the empty tree's root is SHA-256 of nothing.
      if (path.length) wrongLength();
      if (!equal(oldRoot, old === size ? newRoot : await sha256(new Uint8Array(0)))) fail('consistencyRoot');
      return { ok: true };
    }
    if ((old & (old - 1n)) === 0n) path.unshift(oldRoot);
    if (!path.length) wrongLength();
    let [fn, sn] = [old - 1n, size - 1n];
    while (fn & 1n) [fn, sn] = [fn >> 1n, sn >> 1n];
    let [fr, sr] = [path[0], path[0]];
    const step = async (c, left) => {
      if (left) [fr, sr] = [await nodeHash(c, fr), await nodeHash(c, sr)];
      else sr = await nodeHash(sr, c);
    };
    await walk(fn, sn, path.slice(1), step, wrongLength);
    if (!equal(fr, oldRoot) || !equal(sr, newRoot)) fail('consistencyRoot');
    return { ok: true };
  } catch (e) {
    return failure(e);
  }
}

// -- receipts

const RECEIPT = ['index', 'leaf_hash', 'logged_at', 'checkpoint', 'inclusion_proof', 'entry'];

/** The top-level [name, raw value] pairs of a JSON text: what serde sees and JSON.parse hides. */
function topLevelMembers(text) {
  const members = [];
  let [depth, isObj, name, start, wantName] = [0, false, null, -1, false];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && wantName) [name, wantName] = [JSON.parse(text.slice(i, j + 1)), false];
      else if (depth === 1 && start < 0) start = i;
      i = j;
    } else if (c === '{' || c === '[') {
      if (depth === 0) isObj = wantName = c === '{';
      else if (depth === 1 && start < 0) start = i;
      depth++;
    } else if ((c === '}' || c === ']' ? --depth === 0 : c === ',' && depth === 1) && start >= 0) {
      members.push([name, text.slice(start, i).trim()]);
      [name, start, wantName] = [null, -1, isObj];
    } else if (depth === 1 && start < 0 && !',: \t\n\r'.includes(c)) start = i;
  }
  return members;
}

/** Checks a receipt's form as Receipt::parse (serde) and Receipt::check do. */
function readReceipt(receipt) {
  const fail = (code, member) => refuse('receipt', code, { member: chars(String(member), 40) });
  let raw = null; // the index as written
  if (typeof receipt === 'string') {
    const text = receipt;
    try {
      receipt = JSON.parse(text);
    } catch {
      fail('receiptJson');
    }
    const members = typeof receipt === 'object' && receipt !== null ? topLevelMembers(text) : [];
    const names = members.map(([n]) => n);
    const twice = names.find((n, i) => n !== null && names.indexOf(n) !== i);
    if (twice !== undefined) fail('receiptDuplicate', twice);
    raw = (Array.isArray(receipt) ? members[0] : members.find(([n]) => n === 'index'))?.[1] ?? null;
  }
  if (!isObject(receipt)) fail('receiptJson');
  for (const name of Object.keys(receipt)) if (!RECEIPT.includes(name)) fail('receiptUnknown', name);
  for (const name of RECEIPT.slice(0, 5)) if (!Object.hasOwn(receipt, name)) fail('receiptMember', name);
  const { index, leaf_hash: leaf, logged_at: loggedAt, checkpoint, inclusion_proof: proof } = receipt;
  // A u64, written without fraction, exponent or minus sign.
  const big = raw !== null ? toBig(raw) : Object.is(index, -0) ? null : toBig(index);
  if (typeof index !== 'number' || big === null || big >= 2n ** 64n) fail('receiptMember', 'index');
  const [leafBytes, time] = [fromBase64(leaf), parseTime(loggedAt)];
  const proofBytes = Array.isArray(proof) ? proof.map(fromBase64) : [null];
  if (leafBytes?.length !== 32) fail('receiptMember', 'leaf_hash');
  if (time === null) fail('receiptMember', 'logged_at');
  if (typeof checkpoint !== 'string') fail('receiptMember', 'checkpoint');
  if (proofBytes.some((h) => h?.length !== 32)) fail('receiptMember', 'inclusion_proof');
  // serde reads `"entry": null` as no entry.
  return { index: big, leaf: leafBytes, loggedAt, time, checkpoint, proof: proofBytes, entry: receipt.entry ?? undefined };
}

const DOMAIN = utf8.encode('vitrine/statement/v1\n');

/**
 * Verifies a receipt (its JSON text, read the most strictly, or value) with the log's key:
 * the key; the checkpoint; the entry's form, leaf hash and logged_at; the inclusion proof;
 * every statement signature. As in the ledger, a receipt without an entry (or with `"entry":
 * null`) proves its leaf only (`entry` false). Never throws; numbers beyond 2^53 are strings.
 * @returns {Promise<{ok: true, index, size, root, signatures, entry, ms} | {ok: false, step,
 * code, params, message}>}
 */
export async function verifyReceipt(receipt, verifierKeyText) {
  const started = performance.now();
  try {
    const key = await parseVerifierKey(verifierKeyText);
    const r = readReceipt(receipt);
    const cp = await openCheckpoint(r.checkpoint, key);
    const entry = r.entry === undefined ? null : readEntry(r.entry);
    if (entry && !equal(await sha256(Uint8Array.of(0), entry.bytes), r.leaf)) refuse('leaf', 'leafMismatch');
    if (entry && entry.time !== r.time) refuse('leaf', 'loggedAtMismatch', { entry: entry.loggedAt, receipt: r.loggedAt });
    await verifyInclusion(r.leaf, r.index, cp.size, r.proof, cp.root);
    const message = entry && concat(DOMAIN, entry.statement);
    for (const [i, s] of (entry?.signatures ?? []).entries()) {
      const why = await verifyStrict(s.publicKey, s.signature, message);
      if (why) refuse('signatures', why, { n: i + 1, key: s.text });
    }
    const [index, size, root] = [toNumber(r.index), toNumber(cp.size), toBase64(cp.root)];
    const signatures = entry?.signatures.length ?? 0;
    return { ok: true, index, size, root, signatures, entry: Boolean(entry), ms: performance.now() - started };
  } catch (e) {
    return failure(e);
  }
}

// -- the page

/** Gives the remembered key, or remembers one (forgets it if empty). */
function remember(value) {
  try {
    if (value === undefined) return localStorage.getItem('vitrine.verifierKey') ?? '';
    if (value) localStorage.setItem('vitrine.verifierKey', value);
    else localStorage.removeItem('vitrine.verifierKey');
  } catch {} // no storage: the key still serves this page
  return '';
}
const wired = new WeakSet();
const once = (el) => el && !wired.has(el) && wired.add(el);

/**
 * Wires the DOM contract above in `root`; wiring again wires only what is new.
 * @returns {Promise<void>} settled when the data-verify-auto entries are verified
 */
export function wire(root = document) {
  const doc = root.ownerDocument ?? root;
  let messages = {};
  try {
    messages = JSON.parse(doc.getElementById('vitrine-messages')?.textContent || '{}') ?? {};
  } catch {} // unreadable: English
  const t = (key, params) => format(typeof messages[key] === 'string' ? messages[key] : (defaultMessages[key] ?? key), params);
  const panel = doc.getElementById('verifier');
  const textarea = panel?.querySelector('[data-verify-key]');
  for (const el of root.querySelectorAll('.js-only, [data-verify-run], [data-verify-all]')) {
    el.classList.remove('js-only');
    el.hidden = false;
  }
  if (once(textarea)) {
    if (!textarea.value.trim()) textarea.value = remember();
    textarea.addEventListener('change', () => remember(textarea.value.trim()));
  }
  const keyText = () => {
    const pasted = textarea?.value.trim() ?? '';
    if (pasted) remember(pasted);
    return pasted || panel?.dataset.verifierKey || '';
  };

  async function run(el) {
    const [output, button] = ['[data-verify-result]', '[data-verify-run]'].map((s) => el.querySelector(s));
    const index = el.dataset.verifyIndex ?? '';
    el.classList.remove('verify-ok', 'verify-failed');
    el.dataset.verifyState = 'running';
    el.setAttribute('aria-busy', 'true');
    if (button) button.disabled = true;
    if (output) output.textContent = t('verify.ui.running');
    let result;
    try {
      if (!/^(0|[1-9]\d*)$/.test(index)) refuse('receipt', 'receiptMember', { member: 'index' });
      const options = { credentials: 'omit', headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(20000) };
      const response = await fetch(`/api/v1/entries/${index}/receipt`, options).catch(() => refuse('fetch', 'fetchNetwork'));
      if (!response.ok) refuse('fetch', 'fetchStatus', { status: response.status });
      result = await verifyReceipt(await response.text(), keyText());
      if (result.ok && String(result.index) !== index) refuse('receipt', 'receiptIndex', { got: result.index, expected: index });
    } catch (e) {
      result = failure(e);
    }
    if (output) {
      output.textContent = result.ok
        ? t(result.entry ? 'verify.ui.ok' : 'verify.ui.okLeafOnly', { ...result, ms: Math.max(1, Math.round(result.ms)) })
        : t('verify.ui.failed', { step: t(`verify.step.${result.step}`), reason: t(result.code, result.params) });
    }
    el.classList.add(result.ok ? 'verify-ok' : 'verify-failed');
    el.dataset.verifyState = result.ok ? 'ok' : 'failed';
    el.removeAttribute('aria-busy');
    if (button) button.disabled = false;
  }
  /** Verifies elements four at a time. */
  const runAll = (elements, queue = [...elements]) =>
    Promise.all([1, 2, 3, 4].map(async () => {
      while (queue.length) await run(queue.shift());
    }));

  const entries = [...root.querySelectorAll('[data-verify-index]')];
  for (const el of entries) {
    const button = el.querySelector('[data-verify-run]');
    if (once(button)) button.addEventListener('click', () => run(el));
  }
  const all = panel?.querySelector('[data-verify-all]');
  if (once(all)) {
    all.addEventListener('click', async () => {
      all.disabled = true;
      await runAll(doc.querySelectorAll('[data-verify-index]'));
      all.disabled = false;
    });
  }
  return runAll(entries.filter((el) => el.hasAttribute('data-verify-auto') && once(el))).then(() => {});
}
