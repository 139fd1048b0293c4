// Vitrine's pages, enhanced: times in the reader's own zone, live countdowns to
// deadlines, and in-browser verification (./verify.js). Every page works without it.
import { wire, verifyCheckpoint, verifyConsistency } from './verify.js';

const messages = (() => {
  try {
    return JSON.parse(document.getElementById('vitrine-messages')?.textContent || '{}');
  } catch {
    return {};
  }
})();

/** The message `key` with its `{name}` placeholders filled. */
function msg(key, args = {}) {
  let text = messages[key] ?? key;
  for (const [name, value] of Object.entries(args)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

const lang = document.documentElement.lang || 'zh-CN';
const format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });

/** Rewrites every <time datetime> in the reader's zone, keeping UTC in the tooltip. */
function localTimes() {
  for (const el of document.querySelectorAll('time[datetime]:not([data-countdown])')) {
    const when = new Date(el.getAttribute('datetime'));
    if (Number.isNaN(when.getTime())) continue;
    el.title = el.textContent;
    el.textContent = format.format(when);
  }
}

function remaining(ms) {
  const minutes = Math.floor(ms / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts = [];
  if (days) parts.push(msg('js.days', { n: days }));
  if (days || hours) parts.push(msg('js.hours', { n: hours }));
  parts.push(msg('js.minutes', { n: minutes % 60 }));
  return parts.join(' ');
}

/** Keeps every countdown to a deadline current. */
function countdowns() {
  const els = [...document.querySelectorAll('time[data-countdown]')];
  if (!els.length) return;
  const tick = () => {
    const now = Date.now();
    for (const el of els) {
      const left = new Date(el.getAttribute('datetime')).getTime() - now;
      el.textContent = left > 0 ? msg('js.closes_in', { time: remaining(left) }) : msg('js.closed');
    }
  };
  tick();
  setInterval(tick, 30000);
}

function b64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The consistency page: checks the proof against the newest signed checkpoint and,
 * when the reader pastes one, against a checkpoint they saved earlier. */
function consistency() {
  const section = document.querySelector('[data-consistency]');
  if (!section) return;
  const button = section.querySelector('[data-verify-consistency]');
  const out = section.querySelector('[data-consistency-result]');
  const verifier = section.querySelector('#verifier');
  button.hidden = false;
  button.addEventListener('click', async () => {
    out.className = '';
    const fail = (reason) => {
      out.textContent = msg('js.consistency_failed', { reason });
      out.className = 'verify-failed';
      section.dataset.verifyState = 'failed';
    };
    try {
      const from = Number(section.dataset.from);
      const to = Number(section.dataset.to);
      const key = localStorage.getItem('vitrine.verifierKey') || verifier.dataset.verifierKey;
      const current = await verifyCheckpoint(document.querySelector('[data-checkpoint]').textContent, key);
      if (!current || current.ok === false) return fail(msg('js.consistency_current'));
      const pasted = section.querySelector('[data-old-checkpoint]').value.trim();
      if (pasted) {
        const old = await verifyCheckpoint(`${pasted}\n`.replace(/\n+$/, '\n'), key);
        if (!old || old.ok === false) return fail(old?.message || msg('js.consistency_current'));
        if (old.size !== from) return fail(msg('js.consistency_size_mismatch', { size: old.size, from }));
        if (old.root !== section.dataset.fromRoot) return fail(msg('js.consistency_root_mismatch'));
      }
      // Only a root a signed checkpoint vouches for counts: the newest checkpoint's.
      if (to !== current.size) return fail(msg('js.consistency_unsigned', { size: current.size }));
      const proof = section.dataset.proof ? section.dataset.proof.split(' ') : [];
      const ok = await verifyConsistency({
        fromSize: from, fromRoot: b64(section.dataset.fromRoot),
        toSize: to, toRoot: b64(current.root), proof: proof.map(b64),
      });
      if (!ok || ok.ok === false) return fail(msg('js.consistency_proof'));
      // Without a checkpoint of the reader's, the older root is only what the server says.
      out.textContent = msg(pasted ? 'js.consistency_ok' : 'js.consistency_ok_unpinned', { from, to });
      out.className = 'verify-ok';
      section.dataset.verifyState = 'ok';
    } catch (e) {
      fail(String(e?.message || e));
    }
  });
}

localTimes();
countdowns();
consistency();
wire(document);
