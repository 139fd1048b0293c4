// The desks of buyers, supervisors and platform administrators: statements signed in the
// browser with the officer's own key file (kept in this page's memory only, never sent),
// documents uploaded first where a statement names them, the draft editor, the award
// with its totals computed in front of the officer, and the API's actions.
import {
  clearErrors, download, hex, msg, readSignerFile, send, sha256, show, sign, statement,
} from './sign.js';

let signingKey = null;

/** The page's key panel: the key file is read here and kept in memory. */
function signer() {
  const input = document.querySelector('[data-signing-key]');
  if (!input) return;
  const status = document.querySelector('[data-signer-status]');
  input.addEventListener('change', async () => {
    try {
      signingKey = await readSignerFile(await input.files[0].text());
      status.textContent = msg('js.key_loaded', { name: signingKey.name });
      status.className = 'verify-ok';
    } catch (e) {
      signingKey = null;
      status.textContent = e.message;
      status.className = 'verify-failed';
    }
  });
}

// ---- forms to JSON -----------------------------------------------------------------------
/** `a.b[2].c` as its parts: ['a', 'b', 2, 'c']; `x[]` appends. */
function parts(name) {
  return name.split(/\.|(?=\[)/).map((p) => (p === '[]' ? '[]' : /^\[\d+\]$/.test(p) ? Number(p.slice(1, -1)) : p));
}
function put(target, name, value) {
  const path = parts(name);
  let at = target;
  path.forEach((key, i) => {
    const last = i === path.length - 1;
    const next = path[i + 1];
    const make = () => (typeof next === 'number' || next === '[]' ? [] : {});
    if (key === '[]') {
      if (last) at.push(value); else { const item = make(); at.push(item); at = item; }
      return;
    }
    if (last) at[key] = value;
    else { if (at[key] === undefined) at[key] = make(); at = at[key]; }
  });
}
/** Drops the array items that are all empty (a form's spare rows) and empty objects. */
function prune(value) {
  if (Array.isArray(value)) return value.map(prune).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) { const p = prune(v); if (p !== undefined) out[k] = p; }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}
/** A local date and time (`datetime-local`) as RFC 3339 UTC. */
function utc(local) {
  const when = new Date(local);
  return Number.isNaN(when.getTime()) ? local : when.toISOString().replace('.000Z', 'Z');
}
/** The body a form says: each named field at its path, typed by `data-type`. */
function body(form) {
  const out = {};
  for (const el of form.querySelectorAll('[name]')) {
    if (el.disabled) continue;
    const type = el.dataset.type;
    let value = el.type === 'checkbox' ? (el.checked ? true : '') : el.value.trim();
    if (value === '') continue;
    if (type === 'int') value = /^-?\d+$/.test(value) ? Number(value) : value;
    if (type === 'time-local') value = utc(value);
    put(out, el.name, value);
  }
  return prune(out) || {};
}
/** Fills the `datetime-local` inputs from their UTC times, in the reader's zone. */
function localTimes() {
  for (const el of document.querySelectorAll('input[data-type="time-local"][data-utc]')) {
    const when = new Date(el.dataset.utc);
    if (!el.dataset.utc || Number.isNaN(when.getTime())) continue;
    const local = new Date(when.getTime() - when.getTimezoneOffset() * 60000);
    el.value = local.toISOString().slice(0, 19);
  }
}

/** Uploads a file; answers its SHA-256 (checked against what the server says). */
async function upload(file, csrf) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const answer = await send('/api/v1/documents', bytes, { csrf, contentType: file.type || 'application/octet-stream' });
  const mine = hex(await sha256(bytes));
  if (answer?.sha256 && answer.sha256 !== mine) throw new Error(msg('js.upload_mismatch'));
  return mine;
}
const csrfOf = (el) => el.closest('[data-csrf]')?.dataset.csrf || '';

// ---- signed statements -------------------------------------------------------------------
function signedForms() {
  for (const form of document.querySelectorAll('form[data-sign]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const output = form.querySelector('[data-result]');
      if (!signingKey) return show(output, msg('js.load_key'), false);
      for (const el of form.querySelectorAll('[required]')) {
        if (el.type === 'file' ? !el.files.length : !el.value.trim()) { el.focus(); return show(output, msg('js.required'), false); }
      }
      show(output, msg('js.working'), true);
      try {
        const csrf = csrfOf(form);
        const made = body(form);
        for (const input of form.querySelectorAll('input[type="file"][data-upload-into]')) {
          for (const file of input.files) {
            const sha = await upload(file, csrf);
            const into = input.dataset.uploadInto;
            if (into.endsWith('[]')) {
              const list = JSON.parse(input.dataset.base || '[]');
              list.push({ sha256: sha, title: file.name.slice(0, 300) });
              put(made, into.slice(0, -2), list);
            } else {
              put(made, into, sha);
            }
          }
        }
        if (form.hasAttribute('data-award')) award(form, made);
        const signed = await sign(statement(form.dataset.kind, form.dataset.subject, made), [signingKey]);
        if (form.hasAttribute('data-cosign')) {
          // Both parties sign a contract: the supplier adds its signature in its workspace.
          const out = form.querySelector('[data-cosign-out]');
          const text = JSON.stringify(signed);
          out.querySelector('textarea').value = text;
          download(out.querySelector('[data-cosign-download]'), `contract-${form.dataset.subject}.json`, `${text}\n`);
          out.hidden = false;
          return show(output, msg('js.half_signed'), true);
        }
        const receipt = await send('/api/v1/statements', signed, { csrf });
        show(output, msg('js.logged', { index: receipt.index }), true);
        setTimeout(() => window.location.reload(), 1200);
      } catch (e) {
        show(output, e.message, false);
      }
    });
  }
}

// ---- the award: points per criterion, the totals in front of the officer --------------
function awardTable(form) {
  const table = form.querySelector('table[data-scores]');
  if (!table) return;
  const criteria = JSON.parse(form.dataset.criteria || '[]');
  const rows = [...table.querySelectorAll('tr[data-bid]')];
  const prices = rows.map((r) => Number(r.dataset.price));
  const lowest = Math.min(...prices);
  const update = () => {
    for (const row of rows) {
      const price = Number(row.dataset.price);
      let total = 0;
      if (criteria.length) {
        for (const c of criteria) {
          // Hundredths of a point, as the platform computes them.
          let hundredths;
          if (c.price) {
            hundredths = price > 0 ? Math.floor((lowest * 10000) / price) : 0;
            row.querySelector(`[data-price-points="${c.id}"]`).textContent = (hundredths / 100).toFixed(2);
          } else {
            const v = row.querySelector(`[data-points="${c.id}"]`).value.trim();
            hundredths = /^\d+$/.test(v) && Number(v) <= 100 ? Number(v) * 100 : NaN;
          }
          total += c.weight * hundredths;
        }
        total = Math.floor(total / 100);
      } else {
        const v = row.querySelector('[data-total]').value.trim();
        total = /^\d+$/.test(v) && Number(v) <= 10000 ? Number(v) : NaN;
      }
      row.querySelector('[data-row-total]').textContent = Number.isNaN(total) ? '—' : (total / 100).toFixed(2);
      row.dataset.total = Number.isNaN(total) ? '' : String(total);
    }
    const scored = rows.filter((r) => r.dataset.total !== '');
    if (scored.length === rows.length && rows.length) {
      const best = scored.reduce((a, b) => (Number(b.dataset.total) > Number(a.dataset.total) ? b : a));
      form.querySelector('select[name="commitment"]').value = best.dataset.bid;
    }
  };
  table.addEventListener('input', update);
  update();
}
/** The scores of the award's body, from the table. */
function award(form, made) {
  const table = form.querySelector('table[data-scores]');
  if (!table) return;
  const criteria = JSON.parse(form.dataset.criteria || '[]');
  const scores = {};
  for (const row of table.querySelectorAll('tr[data-bid]')) {
    if (criteria.length) {
      const points = {};
      for (const c of criteria) if (!c.price) points[c.id] = Number(row.querySelector(`[data-points="${c.id}"]`).value.trim());
      scores[row.dataset.bid] = points;
    } else {
      scores[row.dataset.bid] = Number(row.querySelector('[data-total]').value.trim());
    }
  }
  made.scores = scores;
}

// ---- the draft editor --------------------------------------------------------------------
function draftEditor() {
  const form = document.querySelector('form[data-draft]');
  if (!form) return;
  const csrf = form.dataset.csrf;
  const output = form.querySelector('[data-upload-rows]')?.parentElement.querySelector('[data-result]');
  const uploader = form.querySelector('input[type="file"][data-upload-rows]');
  uploader?.addEventListener('change', async () => {
    try {
      for (const file of uploader.files) {
        const sha = await upload(file, csrf);
        const row = [...form.querySelectorAll('[name$="].sha256"]')].find((i) => !i.value.trim());
        if (!row) throw new Error(msg('js.no_room'));
        row.value = sha;
        const title = form.querySelector(`[name="${row.name.replace('.sha256', '.title')}"]`);
        if (!title.value.trim()) title.value = file.name.slice(0, 300);
      }
      show(output, msg('js.uploaded'), true);
    } catch (e) {
      show(output, e.message, false);
    }
  });
  // The form posts itself; its times go in UTC, as the server reads them, in hidden
  // copies (the fields the reader sees keep their own zone, should they come back to the
  // page from the browser's history and send it again).
  const times = [...form.querySelectorAll('input[data-type="time-local"]')];
  form.addEventListener('submit', () => {
    for (const el of times) {
      const when = new Date(el.value);
      if (!el.value || Number.isNaN(when.getTime())) continue;
      const copy = document.createElement('input');
      Object.assign(copy, { type: 'hidden', name: el.name, value: when.toISOString().slice(0, 19) });
      copy.dataset.utcCopy = '';
      el.dataset.name = el.name;
      el.removeAttribute('name');
      form.append(copy);
    }
  });
  window.addEventListener('pageshow', () => {
    for (const copy of form.querySelectorAll('[data-utc-copy]')) copy.remove();
    for (const el of times) if (el.dataset.name) el.name = el.dataset.name;
  });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) for (const el of form.querySelectorAll('[data-zone]')) el.textContent = zone;
  localTimes();
}

function publish() {
  const form = document.querySelector('form[data-publish]');
  if (!form) return;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const output = form.querySelector('[data-result]');
    if (!signingKey) return show(output, msg('js.load_key'), false);
    show(output, msg('js.working'), true);
    try {
      const id = form.dataset.publish;
      const draft = await (await fetch(`/api/v1/drafts/${encodeURIComponent(id)}`, { credentials: 'same-origin' })).json();
      if (!draft.ready) throw new Error(msg('js.draft_not_ready'));
      const signed = await sign(statement('tender.published', id, draft.body), [signingKey]);
      const receipt = await send('/api/v1/statements', signed, { csrf: form.dataset.csrf });
      show(output, msg('js.logged', { index: receipt.index }), true);
      setTimeout(() => { window.location.href = `/tenders/${encodeURIComponent(id)}/manage`; }, 800);
    } catch (e) {
      show(output, e.message, false);
    }
  });
}

// Logging out forgets the bid files this browser kept (the account's; a shared computer).
document.querySelector('form[action="/logout"]')?.addEventListener('submit', () => {
  for (const key of Object.keys(localStorage)) if (key.startsWith('vitrine.bid.')) localStorage.removeItem(key);
});

for (const el of document.querySelectorAll('[data-js-only]')) el.hidden = false;
signer();
signedForms();
for (const form of document.querySelectorAll('form[data-award]')) awardTable(form);
draftEditor();
publish();
