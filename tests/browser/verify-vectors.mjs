// Browser verification vectors: the page's verifier (frontend/static/js/verify.js) must
// refuse exactly what the ledger's own CLI (`vitrine check-receipt`) refuses.
//
// It builds an offline log with the CLI (JCS edge cases, one and two signatures, three
// batches), takes receipts with `vitrine prove` and `log append --receipts`, and also
// builds a "forged" log of crafted entries whose checkpoints it signs with the log's key
// (so that both verifiers get past the proof to the entry and signature rules: small-order
// keys and R, S >= L, mixed-order keys, size limits, serde quirks). Every case goes to the
// CLI (exit 0 = accept) and to verifyReceipt() in headless Chromium, on a page served with
// `Content-Security-Policy: default-src 'self'`; the verdicts must agree. It then measures
// verifyReceipt, and drives wire() on a page with the DOM contract.
//
//   node verify-vectors.mjs        (VITRINE_BIN: the CLI, default ../../target/debug/vitrine;
//                                   VITRINE_ARTEFACTS: a directory for browser-verify.json/.txt)
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const STATIC = path.join(ROOT, 'frontend/static');
const BIN = process.env.VITRINE_BIN || new URL('../../target/debug/vitrine', import.meta.url).pathname;
const ARTEFACTS = process.env.VITRINE_ARTEFACTS || '';
const CSP = "default-src 'self'";

const lines = [];
const log = (s = '') => {
  lines.push(s);
  console.log(s);
};
let passed = 0;
let failed = 0;
const check = (ok, name, detail = '') => {
  if (ok) passed++;
  else failed++;
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
};

// A watchdog: the script stops by itself whatever hangs.
const watchdog = setTimeout(() => {
  console.error('verify-vectors: overall timeout (150 s)');
  process.exit(1);
}, 150_000);

// ---- bytes, hashes, Ed25519 arithmetic (independent of verify.js) ------------------------

const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();
const sha512 = (...parts) => crypto.createHash('sha512').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const unb64 = (text) => Buffer.from(text, 'base64');
const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a, m = P) => ((a % m) + m) % m;
function powMod(b, e, m = P) {
  let r = 1n;
  for (b = mod(b, m); e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}
const inv = (a) => powMod(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = powMod(2n, (P - 1n) / 4n);
const le = (n, len = 32) => {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};
const fromLe = (bytes) => [...bytes].reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
const IDENTITY = [0n, 1n, 1n, 0n];
function padd([X1, Y1, Z1, T1], [X2, Y2, Z2, T2]) {
  const A = mod((Y1 - X1) * (Y2 - X2));
  const B = mod((Y1 + X1) * (Y2 + X2));
  const C = mod(T1 * 2n * D * T2);
  const Dd = mod(Z1 * 2n * Z2);
  const [E, F, G, H] = [B - A, Dd - C, Dd + C, B + A];
  return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)];
}
function mul(k, point) {
  let r = IDENTITY;
  for (let q = point; k > 0n; k >>= 1n, q = padd(q, q)) if (k & 1n) r = padd(r, q);
  return r;
}
function compress([X, Y, Z]) {
  const zi = inv(Z);
  const [x, y] = [mod(X * zi), mod(Y * zi)];
  const out = le(y);
  if (x & 1n) out[31] |= 0x80;
  return out;
}
function decompress(bytes) {
  const y = fromLe(bytes) & ((1n << 255n) - 1n);
  const y2 = mod(y * y);
  const x2 = mod((y2 - 1n) * inv(D * y2 + 1n));
  let x = powMod(x2, (P + 3n) / 8n);
  if (mod(x * x) !== x2) x = mod(x * SQRT_M1);
  if (mod(x * x) !== x2) return null;
  if ((x & 1n) !== BigInt(bytes[31] >> 7)) x = mod(-x);
  return [x, mod(y), 1n, mod(x * y)];
}
const BASE = decompress(le(mod(4n * inv(5n))));
const T8 = decompress(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex'));
const hashToScalar = (...parts) => mod(fromLe(sha512(...parts)), L);

/** An Ed25519 key from a seed: its clamped scalar, public key, and a signer. */
function edKey(seed) {
  const h = sha512(seed);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  const a = fromLe(h.subarray(0, 32));
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const pub = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
  return { seed, a, pub, sign: (msg) => crypto.sign(null, Buffer.from(msg), privateKey) };
}
const seedOf = (label) => sha256(`vitrine-vectors/${label}`);

// ---- canonical JSON for the forged entries (ECMAScript numbers, floats allowed) ----------

function jcs(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
}
const DOMAIN = 'vitrine/statement/v1\n';
const statementMessage = (statement) => Buffer.from(DOMAIN + jcs(statement));

// ---- the RFC 9162 tree, for forged logs --------------------------------------------------

const leafHash = (bytes) => sha256([0], bytes);
const nodeHash = (l, r) => sha256([1], l, r);
const split = (n) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function path9162(m, leaves) {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...path9162(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path9162(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

// ---- the CLI -------------------------------------------------------------------------------

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-vectors-'));
function cli(args, input) {
  const r = spawnSync(BIN, args, { cwd: WORK, input, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}
function must(args, input) {
  const r = cli(args, input);
  if (r.status !== 0) throw new Error(`vitrine ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
const write = (name, data) => (fs.writeFileSync(path.join(WORK, name), data), name);
const read = (name) => fs.readFileSync(path.join(WORK, name), 'utf8');

// ---- the real log ---------------------------------------------------------------------------

function buildRealLog() {
  must(['keygen', '--name', 'vitrine.example/log', '--out', 'log.key']);
  must(['keygen', '--name', 'acme.example', '--out', 'acme.key']);
  must(['keygen', '--name', 'bob.example', '--out', 'bob.key']);
  must(['keygen', '--name', 'vitrine.example/log', '--witness', '--out', 'samename-witness.key']);
  must(['keygen', '--name', 'witness.example/w1', '--witness', '--out', 'w1.key']);
  const bodies = [
    { title: '采购公告 第1号：办公设备 路灯维修 Street lights', value: { amount: '120000.00', currency: 'CNY' }, lots: 2 },
    { emoji: '😀 🎉 🏳️‍🌈 𝄞 clef', keys: { '𝄞': 1, '😀': 2, z: 3, 'ä': 4, '€': 5, '\ufb33': 6 } },
    { escapes: '"quoted" back\\slash /slash \b\f\n\r\t', control: '\u0000\u0001\u001f\u007f end', seps: '\u2028\u2029' },
    { html: '</script><script>alert(1)</script> <!-- --> &amp; <b>', slash: '/</script>' },
    { nested: { z: { 'ä': 1, a: [1, { '€': 'euro', '\u00e9': 'é' }] }, A: [[[[]]]], deep: { a: { b: { c: { d: null } } } } }, flags: [true, false, null], empty: {}, list: [] },
    { big: 9007199254740991, negative: -9007199254740991, near: 9007199254740990, zero: 0, minus: -1, small: 1 },
    { order: { '\r': 1, 1: 2, '': 3, A: 4, a: 5, '\u00e9': 6, '\ud83d\ude00': 7, '\ufb33': 8, aa: 9, 'a\u0000': 10 } },
    { tags: ['中文', 'العربية', 'Ελληνικά', 'русский', '日本語', '한국어'], docs: [{ sha256: 'ab'.repeat(32), name: '附件-1.pdf' }] },
    { long: '长'.repeat(2000), pad: 'x'.repeat(1000) },
    { amount: { amount: '0.01', currency: 'CNY' }, note: 'ＵＴＦ−８ full width　ideographic space' },
    { mixed: [1, '1', true, null, {}, [], -0, 0], unicode: '\u0080\u00ff\u0100\u07ff\u0800\uffff' },
    { last: 'the 12th statement', count: 11 },
    { last: 'the 13th statement', count: 12, emoji: '👩‍👩‍👧‍👦' },
  ];
  const kinds = ['tender.published', 'bid.committed', 'award.published', 'donation.received', 'disbursement.made'];
  const files = bodies.map((body, i) => {
    const st = { kind: kinds[i % kinds.length], subject: i % 3 ? `ocds-xyz-${i}` : `ocds-采购-${i}-😀`, body, issued_at: '2026-01-01T00:00:00Z' };
    // Some as pretty JSON, some with \u escapes: the CLI canonicalises.
    let text = JSON.stringify(st, null, i % 2 ? 2 : 0);
    if (i % 4 === 3) text = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    write(`st-${i}.json`, text);
    let signed = must(['sign', '--key', 'acme.key', '--now', `st-${i}.json`]);
    if (i % 4 === 1) signed = must(['sign', '--key', 'bob.key', write(`signed-${i}.json`, signed)]);
    return write(`signed-${i}.json`, signed);
  });
  must(['log', 'init', 'logdir', '--key', 'log.key']);
  must(['log', 'append', 'logdir', '--key', 'log.key', '--receipts', 'r1.jsonl', ...files.slice(0, 5)]);
  must(['log', 'append', 'logdir', '--key', 'log.key', '--receipts', 'r2.jsonl', ...files.slice(5, 9)]);
  must(['log', 'append', 'logdir', '--key', 'log.key', '--receipts', 'r3.jsonl', ...files.slice(9)]);
  const appended = ['r1.jsonl', 'r2.jsonl', 'r3.jsonl'].flatMap((f) => read(f).split('\n').filter(Boolean));
  const proved = [0, 1, 4, 5, 6, 8, 11, 12].map((i) => must(['prove', 'logdir', '--index', String(i), '--log-key', 'log.key.pub']));
  // The entries as the ledger wrote them: entry bundle of the partial tile of width 13.
  const bundle = fs.readFileSync(path.join(WORK, 'logdir/tile/entries/000.p/13'));
  const entries = [];
  for (let at = 0; at < bundle.length; ) {
    const n = bundle.readUInt16BE(at);
    entries.push(bundle.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  const cosigned = must(['cosign', 'logdir', '--key', 'w1.key', '--log-key', 'log.key.pub']);
  const consistency = [0, 1, 5, 9, 12, 13].map((from) => JSON.parse(must(['prove', 'logdir', '--from', String(from), '--log-key', 'log.key.pub'])));
  return { appended, proved, entries, cosigned, consistency };
}

function keyFile(name) {
  const text = read(name).trim();
  const parts = text.split('+');
  const material = unb64(parts.slice(4).join('+'));
  return { text, name: parts[2], seed: material.subarray(1) };
}
const verifierKey = (name) => read(name).trim();
const keyIdOf = (name, pub, type = 1) => sha256(Buffer.from(`${name}\n`), [type], pub).subarray(0, 4);
const verifierKeyText = (name, pub, type = 1, id = keyIdOf(name, pub, type)) =>
  `${name}+${Buffer.from(id).toString('hex')}+${b64(Buffer.concat([Buffer.from([type]), pub]))}`;

// ---- forged logs ----------------------------------------------------------------------------

const ORIGIN = 'vitrine.example/log';
let LOG; // the log's key: {seed, a, pub, sign}
function sigLine(name, keyId, signature) {
  return `\u2014 ${name} ${b64(Buffer.concat([Buffer.from(keyId), Buffer.from(signature)]))}\n`;
}
/** A signed checkpoint for (size, root), with options to bend every rule. */
function checkpoint({ size, root, origin = ORIGIN, extensions = [], body, before = [], after = [], signature }) {
  const text = body ?? `${origin}\n${size}\n${b64(root)}\n${extensions.map((e) => `${e}\n`).join('')}`;
  const sig = signature ? signature(text) : LOG.sign(text);
  return `${text}\n${before.join('')}${sigLine(ORIGIN, keyIdOf(ORIGIN, LOG.pub), sig)}${after.join('')}`;
}
function receiptText({ index, leaf, loggedAt, note, proof, entryText }) {
  const head = `{"index":${index},"leaf_hash":"${b64(leaf)}","logged_at":${JSON.stringify(loggedAt)},"checkpoint":${JSON.stringify(note)},"inclusion_proof":${JSON.stringify(proof.map(b64))}`;
  return entryText === undefined ? `${head}}` : `${head},"entry":${entryText}}`;
}

// ---- the cases ------------------------------------------------------------------------------

const cases = [];
/** A case: a receipt text and a key text; `expect` is the verdict the specification gives. */
const add = (name, receipt, key, expect, note = '') => cases.push({ name, receipt, key, expect, note });

function realLogCases(real, keys) {
  const good = JSON.parse(real.proved[0]); // index 0, size 13, one signature
  const two = JSON.parse(real.proved[1]); // index 1, two signatures
  const K = keys.log;
  const text = (o) => JSON.stringify(o);
  const clone = (o) => JSON.parse(JSON.stringify(o));
  const mutate = (base, fn) => {
    const r = clone(base);
    fn(r);
    return text(r);
  };
  const swap = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  real.proved.forEach((r, i) => add(`prove --index ${JSON.parse(r).index} (size 13)`, r, K, 'accept'));
  for (const i of [0, 2, 4, 5, 7, 8, 9, 12]) add(`log append receipt ${i} (size ${i < 5 ? 5 : i < 9 ? 9 : 13})`, real.appended[i], K, 'accept');
  add('receipt as pretty JSON with the key file text and a trailing newline', real.proved[0], `  ${K}\n`, 'accept');
  const cosigned = mutate(good, (r) => (r.checkpoint = real.cosigned));
  add('checkpoint cosigned by a witness (cosignature line ignored)', cosigned, K, 'accept');

  // The entry changed.
  add('entry: one character of a body string', mutate(good, (r) => (r.entry.statement.body.title = r.entry.statement.body.title.replace('公告', '公吿'))), K, 'refuse');
  add('entry: one character of a signature', mutate(good, (r) => (r.entry.signatures[0].sig = swap(r.entry.signatures[0].sig, 20))), K, 'refuse');
  add('entry: one character of a public key', mutate(good, (r) => (r.entry.signatures[0].public_key = swap(r.entry.signatures[0].public_key, 10))), K, 'refuse');
  add('entry: logged_at one microsecond later', mutate(good, (r) => (r.entry.logged_at = r.entry.logged_at.replace(/(\d)Z$/, (m, d) => `${(+d + 1) % 10}Z`))), K, 'refuse');
  add('entry: issued_at changed', mutate(good, (r) => (r.entry.statement.issued_at = '2026-01-01T00:00:00Z')), K, 'refuse');
  add('entry: a float in the body', mutate(good, (r) => (r.entry.statement.body.lots = 1.5)), K, 'refuse');
  add('entry: an integer beyond 2^53 in the body', mutate(two, (r) => (r.entry.statement.body.x = 2 ** 53)), K, 'refuse');
  add('entry: an extra member in the statement', mutate(good, (r) => (r.entry.statement.extra = 1)), K, 'refuse');
  add('entry: an extra member in the entry', mutate(good, (r) => (r.entry.extra = 1)), K, 'refuse');
  add('entry: the two signatures swapped', mutate(two, (r) => r.entry.signatures.reverse()), K, 'refuse');
  add('entry: one of two signatures removed', mutate(two, (r) => r.entry.signatures.pop()), K, 'refuse');
  add('entry: all signatures removed', mutate(good, (r) => (r.entry.signatures = [])), K, 'refuse');
  add('entry: the signature doubled', mutate(good, (r) => r.entry.signatures.push(r.entry.signatures[0])), K, 'refuse');
  add('entry: another entry of the log', mutate(good, (r) => (r.entry = JSON.parse(real.proved[2]).entry)), K, 'refuse');
  add('entry: a lone surrogate in a string', text(good).replace('"lots":2', '"lots":2,"x":"\\ud800"'), K, 'refuse');
  add('entry: a string that is not canonical UTF-8 text (U+FFFD for a byte)', mutate(good, (r) => (r.entry.statement.body.title += '\ufffd')), K, 'refuse');
  // Non-canonical forms of the same entry: the receipt carries a JSON value.
  add('entry: members reordered and pretty-printed', JSON.stringify({ ...good, entry: { statement: good.entry.statement, signatures: good.entry.signatures, logged_at: good.entry.logged_at } }, null, 3), K, 'accept');
  add('entry: non-ASCII written as \\u escapes', text(good).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), K, 'accept');
  const numbers = JSON.parse(real.proved[3]); // index 5: big, negative, zero...
  add('entry: integers written -0, 1e0, -1.0, 9007199254740991.0', real.proved[3].replace('"zero": 0', '"zero": -0').replace('"small": 1', '"small": 1e0').replace('"minus": -1', '"minus": -1.0').replace('"big": 9007199254740991', '"big": 9007199254740991.0'), K, 'accept', 'JSON values, canonicalised: both read these as the same integers');
  add('entry: an integer changed to 2^53', real.proved[3].replace('"big": 9007199254740991', '"big": 9007199254740992'), K, 'refuse');
  add('entry: the big integer written 9007199254740991.5 (rounds to 2^53)', real.proved[3].replace('"big": 9007199254740991', '"big": 9007199254740991.5'), K, 'refuse');
  add('entry: a member given twice, the last one right', text(good).replace('"lots":2', '"lots":3,"lots":2'), K, 'accept', 'serde_json and JSON.parse both keep the last');
  add('entry: a member given twice, the last one wrong', text(good).replace('"lots":2', '"lots":2,"lots":3'), K, 'refuse');
  add('entry: absent (leaf hash only)', mutate(good, (r) => delete r.entry), K, 'accept', 'the ledger checks the leaf only');
  add('entry: null (leaf hash only)', mutate(good, (r) => (r.entry = null)), K, 'accept', 'serde reads null as no entry');
  add('entry: absent, leaf hash of another entry', mutate(good, (r) => (delete r.entry, (r.leaf_hash = JSON.parse(real.proved[2]).leaf_hash))), K, 'refuse');
  assert(numbers.index === 5, 'index 5 holds the integers');

  // The receipt changed.
  add('receipt: leaf_hash changed', mutate(good, (r) => (r.leaf_hash = swap(r.leaf_hash, 5))), K, 'refuse');
  add('receipt: leaf_hash without its padding', mutate(good, (r) => (r.leaf_hash = r.leaf_hash.replace(/=$/, ''))), K, 'refuse');
  add('receipt: leaf_hash non-canonical base64 (trailing bits)', mutate(good, (r) => (r.leaf_hash = r.leaf_hash.replace(/(.)=$/, (m, c) => `${String.fromCharCode(c.charCodeAt(0) + 1)}=`))), K, 'refuse');
  add('receipt: logged_at one microsecond later', mutate(good, (r) => (r.logged_at = r.entry.logged_at.replace(/(\d)Z$/, (m, d) => `${(+d + 1) % 10}Z`))), K, 'refuse');
  add('receipt: logged_at with a trailing zero digit (same time)', mutate(good, (r) => (r.logged_at = r.logged_at.replace('Z', '0Z'))), K, 'accept', 'times compared as times');
  add('receipt: logged_at not a time, no entry', mutate(good, (r) => (delete r.entry, (r.logged_at = 'yesterday'))), K, 'refuse');
  add('receipt: a proof hash changed', mutate(good, (r) => (r.inclusion_proof[1] = swap(r.inclusion_proof[1], 3))), K, 'refuse');
  add('receipt: the last proof hash missing', mutate(good, (r) => r.inclusion_proof.pop()), K, 'refuse');
  add('receipt: an extra proof hash', mutate(good, (r) => r.inclusion_proof.push(r.inclusion_proof[0])), K, 'refuse');
  add('receipt: an empty proof', mutate(good, (r) => (r.inclusion_proof = [])), K, 'refuse');
  add('receipt: proof hashes reversed', mutate(good, (r) => r.inclusion_proof.reverse()), K, 'refuse');
  add('receipt: a proof hash of 31 bytes', mutate(good, (r) => (r.inclusion_proof[0] = b64(unb64(r.inclusion_proof[0]).subarray(1)))), K, 'refuse');
  add('receipt: index + 1', mutate(good, (r) => (r.index += 1)), K, 'refuse');
  add('receipt: index = size', mutate(good, (r) => (r.index = 13)), K, 'refuse');
  add('receipt: index 2^64', text(good).replace('"index":0', '"index":18446744073709551616'), K, 'refuse');
  add('receipt: index as a string', mutate(good, (r) => (r.index = '0')), K, 'refuse');
  add('receipt: index -1', mutate(good, (r) => (r.index = -1)), K, 'refuse');
  add('receipt: index written 0.0', text(good).replace('"index":0', '"index":0.0'), K, 'refuse', 'serde: a float is not a u64');
  add('receipt: index written 0e0', text(good).replace('"index":0', '"index":0e0'), K, 'refuse');
  add('receipt: index 0 written -0', text(good).replace('"index":0', '"index":-0'), K, 'refuse');
  add('receipt: a member given twice', text(good).replace('"index":0', '"index":0,"index":0'), K, 'refuse', 'serde refuses duplicate fields');
  add('receipt: an unknown member', mutate(good, (r) => (r.witnesses = [])), K, 'refuse');
  add('receipt: inclusion_proof missing', mutate(good, (r) => delete r.inclusion_proof), K, 'refuse');
  add('receipt: checkpoint not a string', mutate(good, (r) => (r.checkpoint = r.checkpoint.split('\n'))), K, 'refuse');
  add('receipt: not JSON', text(good).slice(0, -1), K, 'refuse');
  add('receipt: a JSON array', '[]', K, 'refuse');
  add('receipt: as the array of its 6 member values', text([good.index, good.leaf_hash, good.logged_at, good.checkpoint, good.inclusion_proof, good.entry]), K, 'refuse', 'a receipt is an object');
  add('receipt: as the array of its first 5 member values', text([good.index, good.leaf_hash, good.logged_at, good.checkpoint, good.inclusion_proof]), K, 'refuse', 'a receipt is an object');
  add('receipt: as an array of 4 values', text([good.index, good.leaf_hash, good.logged_at, good.checkpoint]), K, 'refuse');
  add('receipt: as an array of 7 values', text([good.index, good.leaf_hash, good.logged_at, good.checkpoint, good.inclusion_proof, good.entry, 1]), K, 'refuse');

  // The checkpoint changed.
  const [body, sigs] = [good.checkpoint.slice(0, good.checkpoint.lastIndexOf('\n\n') + 1), good.checkpoint.slice(good.checkpoint.lastIndexOf('\n\n') + 2)];
  const [origin, size, root] = body.split('\n');
  const sigBytes = unb64(sigs.trim().split(' ')[2]);
  const flipped = Buffer.from(sigBytes);
  flipped[20] ^= 1;
  const cp = (s) => mutate(good, (r) => (r.checkpoint = s));
  add('checkpoint: a flipped bit in the signature', cp(`${body}\n\u2014 ${origin} ${b64(flipped)}\n`), K, 'refuse');
  const rootBytes = unb64(root);
  rootBytes[0] ^= 1;
  add('checkpoint: root changed', cp(`${origin}\n${size}\n${b64(rootBytes)}\n\n${sigs}`), K, 'refuse');
  add('checkpoint: size changed', cp(`${origin}\n${+size + 1}\n${root}\n\n${sigs}`), K, 'refuse');
  add('checkpoint: origin changed', cp(`${origin}2\n${size}\n${root}\n\n${sigs}`), K, 'refuse');
  add('checkpoint: no final newline', cp(good.checkpoint.slice(0, -1)), K, 'refuse');
  add('checkpoint: CRLF line ends', cp(good.checkpoint.replace(/\n/g, '\r\n')), K, 'refuse');
  add('checkpoint: signature line with a hyphen for the em dash', cp(good.checkpoint.replace('\u2014', '-')), K, 'refuse');
  add('checkpoint: signature line with two spaces', cp(good.checkpoint.replace('\u2014 ', '\u2014  ')), K, 'refuse');
  add('checkpoint: no signature', cp(body), K, 'refuse');
  add('checkpoint: the log signature twice', cp(`${good.checkpoint}${sigs}`), K, 'accept');
  add('checkpoint: a second log-key line that does not verify', cp(`${good.checkpoint}\u2014 ${origin} ${b64(flipped)}\n`), K, 'refuse', 'every line of the key must verify');
  add('checkpoint: an unknown key\'s line after it', cp(`${good.checkpoint}\u2014 other.example ${b64(crypto.randomBytes(68))}\n`), K, 'accept');
  add('checkpoint: an unknown line before it', cp(`${body}\n\u2014 other.example ${b64(crypto.randomBytes(68))}\n${sigs}`), K, 'accept');
  add('checkpoint: the log key\'s name with another key ID', cp(`${good.checkpoint}\u2014 ${origin} ${b64(crypto.randomBytes(68))}\n`), K, 'accept', 'a line matches by name and key ID');
  add('checkpoint: a malformed unknown line (bad base64)', cp(`${good.checkpoint}\u2014 other.example not-base64\n`), K, 'refuse');
  add('checkpoint: an unknown line of 4 bytes', cp(`${good.checkpoint}\u2014 other.example ${b64([1, 2, 3, 4])}\n`), K, 'refuse');
  add('checkpoint: an unknown line of 5 bytes', cp(`${good.checkpoint}\u2014 other.example ${b64([1, 2, 3, 4, 5])}\n`), K, 'accept');
  add('checkpoint: an unknown line whose name has U+3000', cp(`${good.checkpoint}\u2014 other\u3000example ${b64(crypto.randomBytes(68))}\n`), K, 'refuse', 'U+3000 is White_Space');
  add('checkpoint: an unknown line whose name has U+200B', cp(`${good.checkpoint}\u2014 other\u200bexample ${b64(crypto.randomBytes(68))}\n`), K, 'accept', 'U+200B is not White_Space');
  add('checkpoint: an unknown line whose name has "+"', cp(`${good.checkpoint}\u2014 other+example ${b64(crypto.randomBytes(68))}\n`), K, 'refuse');
  add('checkpoint: a lone surrogate in an unknown line', text(good).replace('"checkpoint":"', '"checkpoint":"x\\ud800'), K, 'refuse');

  // The key changed.
  add('key: another participant\'s key', text(good), keys.acme, 'refuse');
  add('key: a witness key of the same name (type 0x04)', text(good), keys.sameNameWitness, 'refuse');
  add('key: key ID changed', text(good), K.replace(/\+([0-9a-f]{8})\+/, (m, h) => `+${h.slice(0, 7)}${h[7] === '0' ? '1' : '0'}+`), 'refuse');
  add('key: key ID in upper case', text(good), K.replace(/\+([0-9a-f]{8})\+/, (m, h) => `+${h.toUpperCase()}+`), /[a-f]/.test(K.split('+')[1]) ? 'refuse' : 'accept');
  add('key: base64 with a stray "="', text(good), `${K}=`, 'refuse');
  add('key: its last base64 character changed', text(good), K.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 'refuse');
  add('key: the private key', text(good), keys.logPrivate, 'refuse');
  add('key: empty', text(good), '', 'refuse');
  add('key: not a key', text(good), 'hello', 'refuse');
  add('key: a space in the name', text(good), K.replace('vitrine.example/log', 'vitrine.example/ log'), 'refuse');
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  add('key: the identity point (small order), right key ID', text(good), verifierKeyText(ORIGIN, identity), 'refuse');
  let offCurve = 2n;
  while (decompress(le(offCurve))) offCurve++;
  add(`key: not a curve point (y = ${offCurve}), right key ID`, text(good), verifierKeyText(ORIGIN, le(offCurve)), 'refuse');
  add('key: 31-byte key', text(good), verifierKeyText(ORIGIN, keys.logPub.subarray(1)), 'refuse');
}

function assert(ok, what) {
  if (!ok) throw new Error(`test setup: ${what}`);
}

/** Cases on forged logs: entries and checkpoints crafted and signed with the log's key. */
function forgedCases(keys) {
  const K = keys.log;
  const participants = Array.from({ length: 18 }, (_, i) => edKey(seedOf(`participant-${i}`)));
  const [alice, bob] = participants;
  const LOGGED = '2026-11-21T10:00:01.5Z';
  const base = (extra = {}) => ({ kind: 'bid.committed', subject: 'ocds-forged-1', issued_at: '2026-11-21T10:00:00Z', body: { commitment: 'ab'.repeat(32), note: '密封投标' }, ...extra });
  const sigOf = (key, statement) => ({ public_key: b64(key.pub), sig: b64(key.sign(statementMessage(statement))) });
  const entryOf = (statement, signers = [alice], loggedAt = LOGGED) => ({ logged_at: loggedAt, signatures: signers.map((k) => sigOf(k, statement)), statement });
  const items = []; // {name, value, text?, expect, note, loggedAt}
  const item = (name, value, expect, note = '', text) => items.push({ name, value, text, expect, note });

  item('forged log: a well-formed entry', entryOf(base()), 'accept');
  item('forged log: two signatures', entryOf(base(), [alice, bob]), 'accept');
  item('forged log: 16 signatures', entryOf(base(), participants.slice(0, 16)), 'accept');
  item('forged log: 17 signatures', entryOf(base(), participants.slice(0, 17)), 'refuse');
  item('forged log: the same key twice', entryOf(base(), [alice, alice]), 'refuse');
  item('forged log: no signature', entryOf(base(), []), 'refuse');
  item('forged log: extra statement members', entryOf(base({ extra: { any: ['thing'] }, zzz: null })), 'accept');
  for (const [kind, expect] of [['bid.committed_2', 'accept'], ['a'.repeat(64), 'accept'], ['a'.repeat(65), 'refuse'], ['Bid.committed', 'refuse'], ['bid..committed', 'refuse'], ['bid.', 'refuse'], ['1bid.x', 'refuse'], ['bid.x-y', 'refuse'], ['', 'refuse']]) {
    item(`forged log: kind ${JSON.stringify(kind.length > 20 ? `${kind.slice(0, 3)}…(${kind.length})` : kind)}`, entryOf(base({ kind })), expect);
  }
  for (const [subject, label, expect] of [['😀'.repeat(256), '256 emoji (512 UTF-16 units)', 'accept'], ['😀'.repeat(257), '257 emoji', 'refuse'], ['x'.repeat(256), '256 ASCII', 'accept'], ['', 'empty', 'refuse']]) {
    item(`forged log: subject of ${label}`, entryOf(base({ subject })), expect);
  }
  for (const [t, expect] of [['2024-02-29T00:00:00Z', 'accept'], ['2025-02-29T00:00:00Z', 'refuse'], ['2026-11-21T10:00:00.123456789Z', 'accept'], ['2026-11-21T10:00:00.1234567890Z', 'refuse'], ['2026-11-21t10:00:00z', 'refuse'], ['2026-11-21T10:00:00+08:00', 'refuse'], ['0000-01-01T00:00:00Z', 'accept'], ['9999-12-31T23:59:59.999999999Z', 'accept'], ['2026-11-21T24:00:00Z', 'refuse'], ['2026-11-21T10:00:60Z', 'refuse'], ['2026-11-21T10:00:00.Z', 'refuse'], ['２０２６-11-21T10:00:00Z', 'refuse'], ['2026-00-10T10:00:00Z', 'refuse'], ['2026-13-10T10:00:00Z', 'refuse'], ['2026-11-00T10:00:00Z', 'refuse'], ['2026-04-31T10:00:00Z', 'refuse'], ['1900-02-29T10:00:00Z', 'refuse'], ['2000-02-29T10:00:00Z', 'accept'], ['2026-11-21T10:00:00.000Z', 'accept']]) {
    item(`forged log: issued_at ${t}`, entryOf(base({ issued_at: t })), expect);
  }
  item('forged log: logged_at 2026-11-21T10:00:60Z', entryOf(base(), [alice], '2026-11-21T10:00:60Z'), 'refuse');
  item('forged log: logged_at with nanoseconds', entryOf(base(), [alice], '2026-11-21T10:00:01.000000001Z'), 'accept');
  item('forged log: body an array', entryOf(base({ body: [] })), 'refuse');
  item('forged log: body null', entryOf(base({ body: null })), 'refuse');
  const noBody = base();
  delete noBody.body;
  item('forged log: no body', entryOf(noBody), 'refuse');
  item('forged log: kind null', entryOf(base({ kind: null })), 'refuse');
  item('forged log: issued_at a number', entryOf(base({ issued_at: 1 })), 'refuse');
  item('forged log: statement an array', { logged_at: LOGGED, signatures: [sigOf(alice, base())], statement: [base()] }, 'refuse');
  item('forged log: a float, signed', entryOf(base({ body: { price: 1.5 } })), 'refuse');
  item('forged log: 2^53, signed', entryOf(base({ body: { n: 2 ** 53 } })), 'refuse');
  item('forged log: ±(2^53 − 1), signed', entryOf(base({ body: { n: 2 ** 53 - 1, m: -(2 ** 53 - 1) } })), 'accept');
  const nest = (n) => (n === 0 ? [] : [nest(n - 1)]);
  // nest(n) is n + 1 arrays; body.x is at depth 3 (entry 0, statement 1, body 2).
  item('forged log: nested to depth 64', entryOf(base({ body: { x: nest(61) } })), 'accept');
  item('forged log: nested to depth 65', entryOf(base({ body: { x: nest(62) } })), 'refuse');
  item('forged log: a number at depth 65', entryOf(base({ body: { x: JSON.parse(`${'['.repeat(62)}1${']'.repeat(62)}`) } })), 'refuse');
  // An entry of exactly 65,535 bytes, and one of 65,536.
  for (const [target, expect] of [[65535, 'accept'], [65536, 'refuse']]) {
    let pad = 'x'.repeat(60000);
    let e = entryOf(base({ body: { pad } }));
    pad += 'x'.repeat(target - Buffer.byteLength(jcs(e)));
    e = entryOf(base({ body: { pad } }));
    assert(Buffer.byteLength(jcs(e)) === target, `entry of ${target} bytes`);
    item(`forged log: entry of ${target} bytes`, e, expect);
  }
  // Signature encodings.
  const good = entryOf(base());
  const withSig = (fn) => {
    const e = JSON.parse(JSON.stringify(good));
    fn(e.signatures[0], e);
    return e;
  };
  item('forged log: public_key non-canonical base64 (trailing bits)', withSig((s) => (s.public_key = s.public_key.replace(/(.)=$/, (m, c) => `${String.fromCharCode(c.charCodeAt(0) + 1)}=`))), 'refuse');
  item('forged log: sig of 63 bytes', withSig((s) => (s.sig = b64(unb64(s.sig).subarray(1)))), 'refuse');
  item('forged log: sig without padding', withSig((s) => (s.sig = s.sig.replace(/=+$/, ''))), 'refuse');
  item('forged log: a signature with an extra member', withSig((s) => (s.extra = '')), 'refuse');
  item('forged log: a signature as [public_key, sig]', withSig((s, e) => (e.signatures[0] = [s.public_key, s.sig])), 'refuse', 'a signature is an object');
  item('forged log: the entry as [logged_at, signatures, statement]', [good.logged_at, good.signatures, good.statement], 'refuse', 'an entry is an object');
  item('forged log: the entry as an array of 4', [good.logged_at, good.signatures, good.statement, 1], 'refuse');
  item('forged log: an entry that is a string', 'entry', 'refuse');

  {
    let y = 2n;
    while (decompress(le(y))) y++;
    item(`forged log: a public key that is not a curve point (y = ${y})`, withSig((s) => (s.public_key = b64(le(y)))), 'refuse');
  }
  // Ed25519 edge cases: what WebCrypto alone accepts and verify_strict refuses.
  const st = base({ subject: 'ocds-ed25519' });
  const msg = statementMessage(st);
  const withRaw = (pub, sig, statement = st) => ({ logged_at: LOGGED, signatures: [{ public_key: b64(pub), sig: b64(sig) }], statement });
  const webcrypto = []; // [name, pub, sig, message]: checked with WebCrypto alone too
  const B = compress(BASE);
  const sOne = le(1n);
  const smallKeys = [
    ['identity', '0100000000000000000000000000000000000000000000000000000000000000'],
    ['identity with the sign bit', '0100000000000000000000000000000000000000000000000000000000000080'],
    ['identity, non-canonical y = p + 1', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ];
  for (const [label, hex] of smallKeys) {
    const pub = Buffer.from(hex, 'hex');
    const sig = Buffer.concat([B, sOne]);
    item(`forged log: small-order public key (${label}), sB = R`, withRaw(pub, sig), 'refuse', 'WebCrypto alone accepts');
    webcrypto.push([`small-order key (${label})`, pub, sig, msg]);
  }
  // A key of order 8: grind the statement until k ≡ 0 (mod 8), so that sB − kA = B = R.
  {
    const pub = compress(T8);
    const sig = Buffer.concat([B, sOne]);
    let n = 0;
    let s8;
    do s8 = base({ subject: `ocds-order-8-${n++}` });
    while (hashToScalar(B, pub, statementMessage(s8)) % 8n !== 0n);
    item('forged log: public key of order 8, sB − kA = R', withRaw(pub, sig, s8), 'refuse', 'WebCrypto alone accepts');
    webcrypto.push(['key of order 8', pub, sig, statementMessage(s8)]);
  }
  // R = identity: s = k·a, so that sB − kA is the identity.
  for (const [label, hex, note] of [
    ['the identity', '0100000000000000000000000000000000000000000000000000000000000000', 'WebCrypto alone accepts'],
    ['the identity, non-canonical (y = p + 1)', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', ''],
  ]) {
    const R = Buffer.from(hex, 'hex');
    const s = mod(hashToScalar(R, alice.pub, msg) * alice.a, L);
    const sig = Buffer.concat([R, le(s)]);
    item(`forged log: R = ${label}, s = k·a`, withRaw(alice.pub, sig), 'refuse', note);
    webcrypto.push([`R = ${label}`, alice.pub, sig, msg]);
  }
  // S + L: the same signature with S not reduced.
  {
    const sig = alice.sign(msg);
    const big = Buffer.concat([sig.subarray(0, 32), le(fromLe(sig.subarray(32)) + L)]);
    item('forged log: S + L', withRaw(alice.pub, big), 'refuse');
    webcrypto.push(['S + L', alice.pub, big, msg]);
    const again = Buffer.from(sig);
    again[5] ^= 0x10;
    item('forged log: R with a flipped bit', withRaw(alice.pub, again), 'refuse');
  }
  // A mixed-order key A + T8 with a signature that verifies cofactorless: both accept.
  {
    const mixedPub = compress(padd(mul(alice.a, BASE), T8));
    let sig;
    for (let tries = 0; !sig && tries < 400; tries++) {
      const r = mod(fromLe(crypto.randomBytes(32)), L);
      for (let j = 0n; j < 8n && !sig; j++) {
        const R = compress(padd(mul(r, BASE), mul(j, T8)));
        const k = hashToScalar(R, mixedPub, msg);
        if (mod(-k, 8n) === j) sig = Buffer.concat([R, le(mod(r + k * alice.a, L))]);
      }
    }
    assert(sig, 'a signature for the mixed-order key');
    item('forged log: mixed-order public key (A + T8), cofactorless signature', withRaw(mixedPub, sig), 'accept', 'verify_strict and WebCrypto both accept');
    webcrypto.push(['mixed-order key', mixedPub, sig, msg]);
  }
  // The forged log: its entries, tree, checkpoint and receipts.
  const bytes = items.map((it) => Buffer.from(jcs(it.value)));
  const leaves = bytes.map(leafHash);
  const size = leaves.length;
  const root = mth(leaves);
  const note = checkpoint({ size, root });
  items.forEach((it, index) => {
    const loggedAt = Array.isArray(it.value) ? it.value[0] : (it.value?.logged_at ?? LOGGED);
    const receipt = receiptText({ index, leaf: leaves[index], loggedAt: typeof loggedAt === 'string' ? loggedAt : LOGGED, note, proof: path9162(index, leaves), entryText: it.text ?? JSON.stringify(it.value) });
    add(`${it.name} [${index}/${size}]`, receipt, K, it.expect, it.note);
  });
  add('forged log: receipt logged_at 10:00:01.500000000Z for the entry\'s 10:00:01.5Z', receiptText({ index: 0, leaf: leaves[0], loggedAt: '2026-11-21T10:00:01.500000000Z', note, proof: path9162(0, leaves), entryText: JSON.stringify(items[0].value) }), K, 'accept');
  add('forged log: receipt logged_at 10:00:01.05Z for the entry\'s 10:00:01.5Z', receiptText({ index: 0, leaf: leaves[0], loggedAt: '2026-11-21T10:00:01.05Z', note, proof: path9162(0, leaves), entryText: JSON.stringify(items[0].value) }), K, 'refuse');
  // A lone surrogate cannot be put in UTF-8: the receipt's text carries the escape.
  add('forged log: a lone surrogate in the statement', receiptText({ index: 0, leaf: leaves[0], loggedAt: LOGGED, note, proof: path9162(0, leaves), entryText: JSON.stringify(items[0].value).replace('"ocds-forged-1"', '"ocds-forged-1\\udc00"') }), K, 'refuse');

  // Checkpoints bent: a one-entry log, extension lines, sizes, signatures.
  const one = [leaves[0]];
  const r0 = (cpText, extra = {}) => receiptText({ index: 0, leaf: leaves[0], loggedAt: LOGGED, note: cpText, proof: [], entryText: JSON.stringify(items[0].value), ...extra });
  add('checkpoint: a log of one entry', r0(checkpoint({ size: 1, root: one[0] })), K, 'accept');
  add('checkpoint: extension lines (one with U+007F)', r0(checkpoint({ size: 1, root: one[0], extensions: ['extension one', 'two\u007f', '第三'] })), K, 'accept');
  add('checkpoint: an empty extension line', r0(checkpoint({ size: 1, root: one[0], extensions: ['a', '', 'b'] })), K, 'refuse');
  add('checkpoint: an extension line with a tab', r0(checkpoint({ size: 1, root: one[0], extensions: ['a\tb'] })), K, 'refuse');
  add('checkpoint: size 01', r0(checkpoint({ size: '01', root: one[0] })), K, 'refuse');
  add('checkpoint: size +1', r0(checkpoint({ size: '+1', root: one[0] })), K, 'refuse');
  add('checkpoint: size 0', r0(checkpoint({ size: 0, root: sha256([]) })), K, 'refuse');
  add('checkpoint: root without padding', r0(checkpoint({ size: 1, root: one[0], body: `${ORIGIN}\n1\n${b64(one[0]).replace(/=$/, '')}\n` })), K, 'refuse');
  add('checkpoint: root of 31 bytes', r0(checkpoint({ size: 1, root: one[0].subarray(1) })), K, 'refuse');
  add('checkpoint: no root line', r0(checkpoint({ body: `${ORIGIN}\n1\n` })), K, 'refuse');
  add('checkpoint: empty origin', r0(checkpoint({ body: `\n1\n${b64(one[0])}\n` })), K, 'refuse');
  add('checkpoint: another origin, signed by the log key', r0(checkpoint({ size: 1, root: one[0], origin: 'vitrine.example/other' })), K, 'refuse');
  add('checkpoint: body with an inner blank line (extension)', r0(checkpoint({ body: `${ORIGIN}\n1\n${b64(one[0])}\n\nx\n` })), K, 'refuse');
  add('checkpoint: 99 unknown lines and the log\'s (100)', r0(checkpoint({ size: 1, root: one[0], before: Array.from({ length: 99 }, (_, i) => sigLine(`w${i}.example`, [0, 0, 0, i], crypto.randomBytes(64))) })), K, 'accept');
  add('checkpoint: 100 unknown lines and the log\'s (101)', r0(checkpoint({ size: 1, root: one[0], before: Array.from({ length: 100 }, (_, i) => sigLine(`w${i}.example`, [0, 0, 0, i], crypto.randomBytes(64))) })), K, 'refuse');
  add('checkpoint: a 60 KB extension line', r0(checkpoint({ size: 1, root: one[0], extensions: ['e'.repeat(60000)] })), K, 'accept');
  add('checkpoint: larger than 64 KiB', r0(checkpoint({ size: 1, root: one[0], extensions: ['e'.repeat(65536)] })), K, 'refuse');
  add('checkpoint: log signature with an extra byte', r0(checkpoint({ size: 1, root: one[0], signature: (t) => Buffer.concat([LOG.sign(t), Buffer.from([0])]) })), K, 'refuse');
  add('checkpoint: log signature S + L', r0(checkpoint({ size: 1, root: one[0], signature: (t) => { const s = LOG.sign(t); return Buffer.concat([s.subarray(0, 32), le(fromLe(s.subarray(32)) + L)]); } })), K, 'refuse');
  {
    const text = `${ORIGIN}\n1\n${b64(one[0])}\n`;
    const R = Buffer.from('0100000000000000000000000000000000000000000000000000000000000000', 'hex');
    const sig = Buffer.concat([R, le(mod(hashToScalar(R, LOG.pub, Buffer.from(text)) * LOG.a, L))]);
    add('checkpoint: log signature with R = identity, s = k·a', r0(checkpoint({ size: 1, root: one[0], signature: () => sig })), K, 'refuse', 'WebCrypto alone accepts');
    webcrypto.push(['checkpoint R = identity', LOG.pub, sig, Buffer.from(text)]);
  }
  // A tree of 2^64 − 1 entries: index 2^60 + 1 (not a double), a 64-hash proof.
  {
    const index = 2n ** 60n + 1n;
    const N = 2n ** 64n - 1n;
    const proof = [];
    let [fn, sn, r] = [index, N - 1n, leaves[0]];
    while (sn > 0n) {
      const p = sha256(Buffer.from(`proof-${proof.length}`));
      proof.push(p);
      if (fn & 1n || fn === sn) {
        r = nodeHash(p, r);
        if (!(fn & 1n)) while (!(fn & 1n) && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
      } else r = nodeHash(r, p);
      [fn, sn] = [fn >> 1n, sn >> 1n];
    }
    const note64 = checkpoint({ size: N, root: r });
    add(`checkpoint: size 2^64 − 1, index 2^60 + 1, ${proof.length}-hash proof`, r0(note64, { index, proof }), K, 'accept');
    add('checkpoint: size 2^64 − 1, index 2^60 (a double would say so)', r0(note64, { index: 2n ** 60n, proof }), K, 'refuse');
    add('checkpoint: size 2^64', r0(checkpoint({ size: 2n ** 64n, root: r }), { index, proof }), K, 'refuse');
  }
  return webcrypto;
}

// ---- the server ---------------------------------------------------------------------------

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json' };
const served = { receipts: new Map(), pages: new Map(), requests: [] };
function startServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const send = (status, type, body, extra = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store', ...extra });
      res.end(body);
    };
    const m = /^\/api\/v1\/entries\/(\d+)\/receipt$/.exec(url.pathname);
    if (m) {
      served.requests.push({ index: m[1], cookie: req.headers.cookie ?? null, mode: req.headers['sec-fetch-mode'] ?? null });
      const receipt = served.receipts.get(m[1]);
      return receipt ? send(200, 'application/json', receipt) : send(404, 'application/problem+json', '{"status":404}');
    }
    if (url.pathname.startsWith('/static/')) {
      const file = path.resolve(STATIC, decodeURIComponent(url.pathname.slice('/static/'.length)));
      if (!file.startsWith(STATIC + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(404, 'text/plain', 'not found');
      return send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', fs.readFileSync(file));
    }
    if (url.pathname === '/test/boot.js') return send(200, TYPES['.js'], "import { wire } from '/static/js/verify.js';\nwindow.wired = wire(document).then(() => 'done');\n");
    const page = served.pages.get(url.pathname);
    if (page) return send(200, 'text/html; charset=utf-8', page, { 'Set-Cookie': 'session=secret; Path=/; SameSite=Strict' });
    send(404, 'text/plain', 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function wirePage({ key, entries, messages, lang = 'zh-CN' }) {
  const spans = entries
    .map(([index, auto]) => `<li><span data-verify-index="${index}"${auto ? ' data-verify-auto' : ''}><button type="button" data-verify-run hidden>verify</button> <output data-verify-result></output></span></li>`)
    .join('\n');
  const json = messages ? `<script type="application/json" id="vitrine-messages">${JSON.stringify(messages).replace(/</g, '\\u003c')}</script>` : '';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>wire</title><script type="module" src="/test/boot.js"></script></head><body>
<div id="verifier" data-verifier-key="${escapeHtml(key)}">
<label for="verifier-key">key</label><textarea id="verifier-key" data-verify-key></textarea>
<button type="button" data-verify-all hidden>all</button></div>
<p class="js-only" hidden id="js-only">shown with the script</p>
<ul>${spans}</ul>${json}</body></html>`;
}

// ---- the run ----------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  if (!fs.existsSync(BIN)) throw new Error(`no vitrine CLI at ${BIN} (set VITRINE_BIN)`);
  log(`# vitrine CLI: ${BIN}; work directory ${WORK}`);
  const real = buildRealLog();
  const logKey = keyFile('log.key');
  LOG = edKey(logKey.seed);
  const keys = {
    log: verifierKey('log.key.pub'),
    logPrivate: logKey.text,
    logPub: unb64(verifierKey('log.key.pub').split('+').slice(2).join('+')).subarray(1),
    acme: verifierKey('acme.key.pub'),
    sameNameWitness: verifierKey('samename-witness.key.pub'),
  };
  assert(b64(LOG.pub) === b64(keys.logPub), 'the log key read from its file');
  assert(b64(compress(mul(LOG.a, BASE))) === b64(LOG.pub), 'the Ed25519 arithmetic');
  assert(b64(compress(mul(8n, T8))) === b64(compress(IDENTITY)) && b64(compress(mul(4n, T8))) !== b64(compress(IDENTITY)), 'T8 has order 8');
  realLogCases(real, keys);
  const webcrypto = forgedCases(keys);
  log(`# ${cases.length} cases built in ${Math.round(performance.now() - started)} ms`);

  const server = await startServer();
  const origin = `http://127.0.0.1:${server.address().port}`;
  served.pages.set('/blank.html', '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vectors</title></head><body><p>vectors</p></body></html>');
  let browser;
  const report = { cases: [], webcrypto: [], perf: null, canonical: null, consistency: [], wire: [], locales: [] };
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      timeout: 30_000,
    });
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const cspErrors = [];
    page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && cspErrors.push(m.text()));
    page.on('pageerror', (e) => cspErrors.push(`page error: ${e.message}`));
    await page.goto(`${origin}/blank.html`);
    const verify = (receipt, key) =>
      page.evaluate(async ([r, k]) => (await import('/static/js/verify.js')).verifyReceipt(r, k), [receipt, key]);

    // 1. Every case: the CLI and the browser agree.
    log('\n## cases: name | CLI | browser | browser step: message');
    for (const [i, c] of cases.entries()) {
      const file = write(`case-${i}.json`, c.receipt);
      const keyPath = write(`case-${i}.key`, c.key);
      const oracle = cli(['check-receipt', '--log-key', c.key === '' ? '' : keyPath, file]);
      if (oracle.status !== 0 && oracle.status !== 1 && oracle.status !== 2) throw new Error(`check-receipt crashed on ${c.name}: ${oracle.status} ${oracle.signal} ${oracle.stderr}`);
      const cliVerdict = oracle.status === 0 ? 'accept' : 'refuse';
      const result = await verify(c.receipt, c.key);
      const browserVerdict = result.ok ? 'accept' : 'refuse';
      const agree = cliVerdict === browserVerdict;
      const asExpected = !c.expect || cliVerdict === c.expect;
      const detail = `CLI ${cliVerdict}${oracle.status ? ` (${oracle.stderr.trim().replace(/^vitrine: /, '').slice(0, 140)})` : ''} | browser ${browserVerdict}${result.ok ? ` (${result.signatures} signature(s), ${result.ms.toFixed(1)} ms)` : ` ${result.step}: ${result.message}`}${asExpected ? '' : ` | EXPECTED ${c.expect}`}${c.note ? ` | note: ${c.note}` : ''}`;
      check(agree && asExpected && result.step !== 'internal', c.name, detail);
      report.cases.push({ name: c.name, cli: cliVerdict, cliStatus: oracle.status, cliMessage: oracle.stderr.trim(), browser: browserVerdict, step: result.step ?? null, message: result.message ?? null, expect: c.expect ?? null, note: c.note });
    }

    // 2. What WebCrypto alone says about the crafted Ed25519 cases (context for the above).
    log('\n## WebCrypto alone (no verify_strict checks) on the crafted signatures');
    for (const [name, pub, sig, msg] of webcrypto) {
      const plain = await page.evaluate(
        async ([p, s, m]) => {
          const bytes = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
          try {
            const key = await crypto.subtle.importKey('raw', bytes(p), { name: 'Ed25519' }, false, ['verify']);
            return (await crypto.subtle.verify({ name: 'Ed25519' }, key, bytes(s), bytes(m))) ? 'accepts' : 'refuses';
          } catch (e) {
            return `throws ${e.name}`;
          }
        },
        [pub, sig, msg].map((b) => Buffer.from(b).toString('hex')),
      );
      log(`     ${name}: WebCrypto alone ${plain}`);
      report.webcrypto.push({ name, webcrypto: plain });
    }

    // 3. canonicalize() against the ledger's own bytes for every entry of the real log.
    const canon = await page.evaluate(async (receipts) => {
      const m = await import('/static/js/verify.js');
      return receipts.map((r) => Array.from(m.canonicalize(JSON.parse(r).entry), (b) => b.toString(16).padStart(2, '0')).join(''));
    }, real.appended);
    const same = canon.every((hex, i) => hex === Buffer.from(real.entries[i]).toString('hex'));
    check(same && canon.length === 13, `canonicalize() gives the ledger's bytes for all ${canon.length} entries of the real log`);
    const refusals = await page.evaluate(async () => {
      const m = await import('/static/js/verify.js');
      const tries = { float: 1.5, nan: NaN, infinity: Infinity, big: 2 ** 53, bigint: 1n, undef: undefined, fn: () => 1, date: new Date(0), lone: '\ud800', loneKey: { '\udc00': 1 }, deep: JSON.parse(`${'['.repeat(66)}${']'.repeat(66)}`) };
      const out = {};
      for (const [k, v] of Object.entries(tries)) {
        try {
          m.canonicalize(v);
          out[k] = 'accepted';
        } catch (e) {
          out[k] = e.code;
        }
      }
      const ok = new TextDecoder().decode(m.canonicalize({ b: [1, -0, 'é\u2028</script>'], a: { '\ud83d\ude00': 1, '\ufb33': 2, '': null }, c: 9007199254740991 }));
      return { out, ok };
    });
    check(Object.values(refusals.out).every((v) => v.startsWith('verify.error.')), 'canonicalize() refuses floats, NaN, ∞, 2^53, bigint, undefined, functions, Dates, lone surrogates, depth 66', JSON.stringify(refusals.out));
    check(refusals.ok === '{"a":{"":null,"\ud83d\ude00":1,"\ufb33":2},"b":[1,0,"\u00e9\u2028</script>"],"c":9007199254740991}', 'canonicalize() sorts by UTF-16 code units and writes ES numbers', refusals.ok);
    report.canonical = { same, refusals };

    // 4. Consistency proofs from `vitrine prove --from`, and tampered ones.
    for (const p of real.consistency) {
      const args = { fromSize: p.old_size, fromRoot: p.old_root, toSize: p.new_size, toRoot: real.consistency.at(-1).old_root, proof: p.consistency_proof };
      const res = await page.evaluate(async (a) => (await import('/static/js/verify.js')).verifyConsistency(a), args);
      check(res.ok, `verifyConsistency ${p.old_size} → ${p.new_size} (${p.consistency_proof.length} hashes)`, res.message ?? '');
      if (p.consistency_proof.length) {
        const bad = { ...args, proof: [...args.proof] };
        bad.proof[0] = b64(sha256(Buffer.from(bad.proof[0])));
        const res2 = await page.evaluate(async (a) => (await import('/static/js/verify.js')).verifyConsistency(a), bad);
        check(!res2.ok, `verifyConsistency ${p.old_size} → ${p.new_size} with a changed hash is refused`, res2.message ?? '');
        const short = await page.evaluate(async (a) => (await import('/static/js/verify.js')).verifyConsistency(a), { ...args, proof: args.proof.slice(1) });
        check(!short.ok && short.code === 'verify.error.proofLength', `verifyConsistency ${p.old_size} → ${p.new_size} with a hash missing is refused`, short.message ?? '');
      }
      report.consistency.push({ from: p.old_size, to: p.new_size, ok: res.ok });
    }
    const backwards = await page.evaluate(async (a) => (await import('/static/js/verify.js')).verifyConsistency(a), { fromSize: 9, fromRoot: real.consistency[3].old_root, toSize: 5, toRoot: real.consistency[2].old_root, proof: [] });
    check(!backwards.ok && backwards.step === 'consistency', 'verifyConsistency refuses a shrinking log', backwards.message);
    const cpRes = await page.evaluate(async ([n, k]) => (await import('/static/js/verify.js')).verifyCheckpoint(n, k), [JSON.parse(real.proved[0]).checkpoint, keys.log]);
    check(cpRes.ok && cpRes.size === 13 && cpRes.root === real.consistency.at(-1).old_root, 'verifyCheckpoint gives the size as a number and the root in base64', JSON.stringify({ ok: cpRes.ok, size: cpRes.size, root: cpRes.root }));
    const cpBad = await page.evaluate(async ([n, k]) => (await import('/static/js/verify.js')).verifyCheckpoint(n, k), [JSON.parse(real.proved[0]).checkpoint, keys.acme]);
    check(cpBad.ok === false && cpBad.step === 'checkpoint', 'verifyCheckpoint with another key answers {ok: false}', cpBad.message);

    // 5. Speed: verifyReceipt of a good receipt with two signatures, 50 times in the page.
    const perf = await page.evaluate(async ([r, k]) => {
      const m = await import('/static/js/verify.js');
      const times = [];
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        const res = await m.verifyReceipt(r, k);
        times.push(performance.now() - t0);
        if (!res.ok) return { error: res.message };
      }
      const sorted = [...times].sort((a, b) => a - b);
      return { first: times[0], median: (sorted[24] + sorted[25]) / 2, p95: sorted[Math.ceil(0.95 * 50) - 1], max: sorted[49] };
    }, [real.proved[1], keys.log]);
    report.perf = perf;
    log(`\n## verifyReceipt speed (receipt of entry 1, two signatures, 50 runs): first ${perf.first?.toFixed(2)} ms, median ${perf.median?.toFixed(2)} ms, p95 ${perf.p95?.toFixed(2)} ms, max ${perf.max?.toFixed(2)} ms`);
    check(!perf.error && perf.median <= 50, 'median verifyReceipt time ≤ 50 ms', perf.error ?? `${perf.median.toFixed(2)} ms`);

    // 6. wire() on pages with the DOM contract.
    log('\n## wire()');
    const zh = JSON.parse(fs.readFileSync(path.join(ROOT, 'frontend/locales/zh-CN/verify.json'), 'utf8'));
    const good0 = real.proved[0];
    const tampered1 = JSON.stringify({ ...JSON.parse(real.proved[1]), inclusion_proof: JSON.parse(real.proved[1]).inclusion_proof.slice(1) });
    served.receipts.set('0', good0);
    served.receipts.set('1', tampered1);
    served.receipts.set('4', real.proved[2]);
    served.receipts.set('5', good0); // the receipt of another entry
    served.pages.set('/wire.html', wirePage({ key: keys.log, entries: [[0, true], [1, true], [4, false], [5, false], [99, false]], messages: { 'js.closed': 'x', ...zh } }));
    served.pages.set('/wire-en.html', wirePage({ key: keys.acme, entries: [[0, true]], messages: null, lang: 'en' }));
    const wpage = await context.newPage();
    wpage.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && cspErrors.push(m.text()));
    wpage.on('pageerror', (e) => cspErrors.push(`page error: ${e.message}`));
    const state = (p, i) => p.$eval(`[data-verify-index="${i}"]`, (el) => ({ state: el.dataset.verifyState ?? null, cls: el.className, text: el.querySelector('output').textContent, hidden: el.querySelector('button').hidden }));
    const settled = (p, i) => p.waitForFunction((n) => ['ok', 'failed'].includes(document.querySelector(`[data-verify-index="${n}"]`).dataset.verifyState), i);
    await wpage.goto(`${origin}/wire.html`);
    await wpage.evaluate(() => window.wired);
    let s0 = await state(wpage, 0);
    let s1 = await state(wpage, 1);
    check(s0.state === 'ok' && s0.cls.includes('verify-ok') && !s0.hidden, 'wire: a good entry with data-verify-auto is verified on load (ok, class verify-ok, button shown)', s0.text);
    check(s1.state === 'failed' && s1.cls.includes('verify-failed'), 'wire: a tampered entry is failed (class verify-failed)', s1.text);
    check(s1.text.includes(zh['verify.step.inclusion']) && /[\u4e00-\u9fff]/.test(s1.text), 'wire: the failure names the step in the page\'s language (zh-CN)', s1.text);
    check(/[\u4e00-\u9fff]/.test(s0.text) && s0.text.includes('13'), 'wire: the success text is in the page\'s language', s0.text);
    const s4 = await state(wpage, 4);
    check(s4.state === null, 'wire: an entry without data-verify-auto waits for its button');
    await wpage.click('[data-verify-index="4"] [data-verify-run]');
    await settled(wpage, 4);
    check((await state(wpage, 4)).state === 'ok', 'wire: its button verifies it', (await state(wpage, 4)).text);
    await wpage.click('[data-verify-index="5"] [data-verify-run]');
    await settled(wpage, 5);
    const s5 = await state(wpage, 5);
    check(s5.state === 'failed' && s5.text.includes(zh['verify.step.receipt']), 'wire: a receipt of another entry is refused', s5.text);
    await wpage.click('[data-verify-index="99"] [data-verify-run]');
    await settled(wpage, 99);
    const s99 = await state(wpage, 99);
    check(s99.state === 'failed' && s99.text.includes('404'), 'wire: a missing receipt (HTTP 404) is a failure', s99.text);
    const shown = await wpage.evaluate(() => ({ jsOnly: !document.getElementById('js-only').hidden && !document.getElementById('js-only').classList.contains('js-only'), all: !document.querySelector('[data-verify-all]').hidden }));
    check(shown.jsOnly && shown.all, 'wire: js-only elements and the verify-all button are revealed');
    check(served.requests.length > 0 && served.requests.every((r) => r.cookie === null), 'wire: receipts are fetched without credentials (no cookie sent)', JSON.stringify(served.requests.slice(0, 3)));
    // The pasted key: a wrong one fails and is remembered; the right one verifies.
    await wpage.fill('[data-verify-key]', keys.acme);
    await wpage.dispatchEvent('[data-verify-key]', 'change');
    await wpage.click('[data-verify-index="4"] [data-verify-run]');
    await settled(wpage, 4);
    const pastedWrong = await state(wpage, 4);
    check(pastedWrong.state === 'failed' && pastedWrong.text.includes(zh['verify.step.checkpoint']), 'wire: a pasted key replaces the page\'s key (wrong key: failed at the checkpoint)', pastedWrong.text);
    const stored = await wpage.evaluate(() => localStorage.getItem('vitrine.verifierKey'));
    check(stored === keys.acme, 'wire: the pasted key is remembered in localStorage (vitrine.verifierKey)');
    await wpage.reload();
    await wpage.evaluate(() => window.wired);
    const restored = await wpage.$eval('[data-verify-key]', (el) => el.value);
    s0 = await state(wpage, 0);
    check(restored === keys.acme && s0.state === 'failed', 'wire: after a reload the remembered key is restored and used', s0.text);
    await wpage.fill('[data-verify-key]', `  ${keys.log}\n`);
    await wpage.dispatchEvent('[data-verify-key]', 'change');
    await wpage.click('[data-verify-all]');
    await wpage.waitForFunction(() => !document.querySelector('[data-verify-all]').disabled && [...document.querySelectorAll('[data-verify-index]')].every((el) => ['ok', 'failed'].includes(el.dataset.verifyState)));
    const after = await Promise.all([0, 1, 4, 5].map((i) => state(wpage, i)));
    check(after.map((x) => x.state).join() === 'ok,failed,ok,failed', 'wire: with the right key pasted, "verify all" verifies every entry (ok, failed, ok, failed)', after.map((x) => x.state).join());
    await wpage.fill('[data-verify-key]', '');
    await wpage.dispatchEvent('[data-verify-key]', 'change');
    check((await wpage.evaluate(() => localStorage.getItem('vitrine.verifierKey'))) === null, 'wire: emptying the textarea forgets the key');
    const again = await wpage.evaluate(async () => {
      const before = document.querySelectorAll('[data-verify-index="4"] output')[0].textContent;
      await (await import('/static/js/verify.js')).wire(document);
      return before === document.querySelectorAll('[data-verify-index="4"] output')[0].textContent;
    });
    check(again, 'wire: calling wire() again does not re-run or double-wire');
    // A page offering the wrong key, without messages: English, and the pasted key wins.
    const epage = await context.newPage();
    epage.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && cspErrors.push(m.text()));
    await epage.goto(`${origin}/wire-en.html`);
    await epage.evaluate(() => window.wired);
    const e0 = await state(epage, 0);
    check(e0.state === 'failed' && e0.text.startsWith('Not verified') && e0.text.includes('checkpoint'), 'wire: without #vitrine-messages the text is English; the page\'s wrong key fails', e0.text);
    await epage.fill('[data-verify-key]', keys.log);
    await epage.click('[data-verify-index="0"] [data-verify-run]');
    await settled(epage, 0);
    const e1 = await state(epage, 0);
    check(e1.state === 'ok' && e1.text.startsWith('Verified'), 'wire: a pasted key verifies although the page offers a wrong one', e1.text);
    check(cspErrors.length === 0, 'no CSP violation or page error', cspErrors.join(' | '));
    report.wire = { s0, s1, after, e0, e1, requests: served.requests.length };
  } finally {
    await browser?.close().catch(() => {});
    await new Promise((resolve) => server.close(resolve));
  }

  // 7. The message files: the same keys in both languages, all verify.*, the English the
  // module's own, the same placeholders.
  const en = JSON.parse(fs.readFileSync(path.join(ROOT, 'frontend/locales/en/verify.json'), 'utf8'));
  const zh = JSON.parse(fs.readFileSync(path.join(ROOT, 'frontend/locales/zh-CN/verify.json'), 'utf8'));
  const { defaultMessages } = await import(path.join(STATIC, 'js/verify.js'));
  const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join();
  check(Object.keys(en).join() === Object.keys(zh).join(), 'locales: en and zh-CN have the same keys in the same order', `${Object.keys(en).length} keys`);
  check(Object.keys(en).every((k) => k.startsWith('verify.') && typeof en[k] === 'string' && typeof zh[k] === 'string'), 'locales: every key starts with verify. and every value is a string');
  check(JSON.stringify(en) === JSON.stringify(defaultMessages), 'locales: en/verify.json is the module\'s English fallback');
  const badPlaceholders = Object.keys(en).filter((k) => placeholders(en[k]) !== placeholders(zh[k] ?? ''));
  check(badPlaceholders.length === 0, 'locales: zh-CN has the same placeholders', badPlaceholders.join());
  const source = fs.readFileSync(path.join(STATIC, 'js/verify.js'), 'utf8');
  const steps = 'key|checkpoint|entry|receipt|leaf|inclusion|signatures|consistency|fetch|internal';
  const codes = [...source.matchAll(new RegExp(`(?:refuse|fail)\\((?:'(?:${steps})', )?'(\\w+)'`, 'g'))].map((m) => m[1]);
  codes.push(...[...source.matchAll(/return '(\w+)';/g)].map((m) => m[1]));
  codes.splice(0, codes.length, ...codes.filter((c) => !steps.split('|').includes(c)));
  const missing = [...new Set(codes)].filter((c) => !(`verify.error.${c}` in en));
  check(missing.length === 0, 'locales: every refusal code of verify.js has a message', missing.join());
  const size = Buffer.byteLength(source);
  check(size < 30 * 1024, `verify.js is ${size} bytes (< 30 KB)`);
  report.locales = { keys: Object.keys(en).length, size };

  log(`\n# ${Math.round((performance.now() - started) / 100) / 10} s`);
  log(`browser-verify: ${passed} passed, ${failed} failed`);
  if (ARTEFACTS) {
    fs.mkdirSync(ARTEFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTEFACTS, 'browser-verify.json'), `${JSON.stringify({ passed, failed, ...report }, null, 2)}\n`);
    fs.writeFileSync(path.join(ARTEFACTS, 'browser-verify.txt'), `${lines.join('\n')}\n`);
  }
}

main()
  .catch((e) => {
    failed++;
    log(`FAIL ${e.stack ?? e}`);
    log(`browser-verify: ${passed} passed, ${failed} failed`);
  })
  .finally(() => {
    clearTimeout(watchdog);
    if (!process.env.KEEP) fs.rmSync(WORK, { recursive: true, force: true });
    process.exitCode = failed ? 1 : 0;
  });
