// A bidder's tools, in the browser: the organisation's key made at registration, questions
// under one-time keys, and sealed bids — committed, replaced, withdrawn and revealed. Keys
// are WebCrypto Ed25519 keys made here; a private key leaves the browser only as a file the
// bidder saves. Before the reveal, a bid's price and documents never leave the browser:
// only its commitment does. Statements go to the JSON API with the session's CSRF token.
import { canonicalize } from './verify.js';
import {
  b64, clearErrors, concat, download, fieldError, hashFiles, hex, msg, newKey, PRICE, random,
  readSignerFile, send, sha256, show, sign, signerFile, statement, utf8, verifierLine,
} from './sign.js';

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
      if (!e.showBy?.(form) && !(field && fieldError(form, field, e.message))) {
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
  // Kept per organisation and tender: another account in this browser never sees it.
  const storeKey = `vitrine.bid.${organisation}.${tender}`;
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
    if (file.format !== 'vitrine-bid/v1' || file.tender !== tender || file.bid?.bidder !== organisation || !file.one_time_key || !file.salt) throw new Error(msg('js.bad_bid_file'));
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

// ---- after the award: a complaint, and the contract's second signature ------------------
async function keyFrom(form) {
  const file = form.querySelector('[data-key-file]').files[0];
  if (!file) throw Object.assign(new Error(msg('js.required')), { field: 'key' });
  try {
    return await readSignerFile(await file.text());
  } catch (e) {
    throw Object.assign(e, { field: 'key' });
  }
}

function afterAward(root) {
  const { tender, csrf } = root.dataset;
  const complain = root.querySelector('form[data-complain]');
  complain?.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(complain);
    const output = complain.querySelector('[data-result]');
    const text = complain.querySelector('textarea[name="text"]').value.trim();
    if (!text) return fieldError(complain, 'text', msg('js.required'));
    try {
      const key = await keyFrom(complain);
      show(output, msg('js.working'), true);
      const award = complain.querySelector('select[name="award"]').value;
      const signed = await sign(statement('complaint.filed', tender, { award, text }), [key]);
      const receipt = await send('/api/v1/statements', signed, { csrf });
      show(output, msg('js.logged', { index: receipt.index }), true);
    } catch (e) {
      if (!(e.field && fieldError(complain, e.field, e.message)) && !e.showBy?.(complain)) show(output, e.message, false);
    }
  });
  const countersign = root.querySelector('form[data-countersign]');
  countersign?.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(countersign);
    const output = countersign.querySelector('[data-result]');
    try {
      const file = countersign.querySelector('[data-half-signed]').files[0];
      if (!file) return fieldError(countersign, 'contract', msg('js.required'));
      let half;
      try {
        half = JSON.parse(await file.text());
      } catch {
        return fieldError(countersign, 'contract', msg('js.bad_contract'));
      }
      if (half?.statement?.kind !== 'contract.signed' || half.statement.subject !== tender || !Array.isArray(half.signatures)) {
        return fieldError(countersign, 'contract', msg('js.bad_contract'));
      }
      const key = await keyFrom(countersign);
      show(output, msg('js.working'), true);
      // The same statement, unchanged: the supplier's signature joins the buyer's.
      const mine = await sign(half.statement, [key]);
      const signed = { statement: half.statement, signatures: [...half.signatures, ...mine.signatures] };
      const receipt = await send('/api/v1/statements', signed, { csrf });
      show(output, msg('js.logged', { index: receipt.index }), true);
    } catch (e) {
      if (!(e.field && fieldError(countersign, e.field, e.message)) && !e.showBy?.(countersign)) show(output, e.message, false);
    }
  });
}

for (const el of document.querySelectorAll('[data-js-only]')) el.hidden = false;
const form = document.querySelector('form[data-register]');
if (form) registration(form);
const root = document.querySelector('[data-bidding]');
if (root) {
  bidding(root);
  afterAward(root);
}
