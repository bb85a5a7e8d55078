// Partnerships on the map page, for school staff, editors and admins signed in
// with their token: the school's partners (highlighted on the map and in the
// list, with a filter), and a panel to record, edit, delete and log a
// partnership, reachable from an asset's popup and from the list by keyboard.
// Everything is written as text, never as HTML.

import { $, el } from './dom.js';
import { send, problemText } from './api.js';
import { token, setToken, getAuthed } from './staff.js';
import { t } from './i18n.js';

// The community-schools pillars (labels from the message catalogs).
const PILLARS = ['integrated_student_supports', 'family_and_community_engagement', 'collaborative_leadership', 'extended_learning']
  .map((id) => [id, 'pillar.' + id]);

/** A partnership status in words. */
const statusWord = (s) => t('partner.status.' + s);

/** The partnerships of the open school by asset id (for the public: its public partners). */
export const partnerships = new Map();
let schoolRef = '';
let asset = null;
let onChange = () => {};
let backToList = false;

export const signedIn = () => Boolean(token());

/** How a partner is labelled in the list and the popup. */
export const partnerLabel = (p) => (p.publicOnly ? t('partner.public') : t('partner.label', { status: statusWord(p.status) }));

function message(text, fields) {
  $('p-message').textContent = text || '';
  document.querySelectorAll('#partnership [aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  for (const f of fields || []) {
    const input = document.querySelector('#partnership [data-field="' + CSS.escape(f) + '"]');
    if (input) input.setAttribute('aria-invalid', 'true');
  }
}

function showSignedIn() {
  const on = signedIn();
  $('staff-form').hidden = true;
  $('staff-toggle').hidden = on;
  $('staff-toggle').setAttribute('aria-expanded', 'false');
  $('staff-out').hidden = !on;
  $('partners-filter-box').hidden = !on;
}

/**
 * Loads the open school's partnerships; a refusal is said in `status`. The
 * public gets the active partners the school made public (name and what
 * they provide), marked `publicOnly`.
 */
export async function loadPartnerships(school, status) {
  schoolRef = school;
  partnerships.clear();
  if (!school) return;
  if (!signedIn()) {
    const r = await getAuthed('/schools/' + encodeURIComponent(school) + '/partners');
    if (r.ok) for (const p of r.data.partners) partnerships.set(p.asset_id, { status: 'active', provides: p.provides, publicOnly: true });
    return;
  }
  const r = await getAuthed('/schools/' + encodeURIComponent(school) + '/partnerships');
  if (r.ok) {
    for (const p of r.data.partnerships) partnerships.set(p.asset_id, p);
  } else if (r.status === 401) {
    setToken('');
    showSignedIn();
    status(t('partner.bad_token'));
  } else {
    status(t('partner.not_yours', { problem: problemText(r) }));
  }
}

function fill(p) {
  const f = p || { status: 'prospective', public: false, contact: {}, pillars: [] };
  $('p-status').value = f.status;
  $('p-public').checked = Boolean(f.public);
  $('p-contact-name').value = f.contact.name || '';
  $('p-contact-role').value = f.contact.role || '';
  $('p-contact-email').value = f.contact.email || '';
  $('p-contact-phone').value = f.contact.phone || '';
  $('p-start').value = f.agreement_start || '';
  $('p-end').value = f.agreement_end || '';
  $('p-provides').value = f.provides || '';
  for (const [id] of PILLARS) $('p-pillar-' + id).checked = (f.pillars || []).includes(id);
  const log = $('p-log');
  log.replaceChildren();
  for (const e of (p && p.log) || []) {
    const li = log.appendChild(el('li'));
    li.appendChild(el('strong', e.date));
    li.appendChild(el('span', e.who ? ' · ' + e.who : ''));
    li.appendChild(el('p', e.note));
  }
  $('p-delete').hidden = !p;
  $('log-form').hidden = !p;
  $('p-log-title').hidden = !p;
  $('p-state').textContent = p ? t(p.public ? 'partner.state.public' : 'partner.state', { status: statusWord(p.status) }) : t('partner.state.none');
}

function fields() {
  const v = (id) => $(id).value.trim() || null;
  return {
    status: $('p-status').value,
    public: $('p-public').checked,
    contact: { name: v('p-contact-name'), role: v('p-contact-role'), email: v('p-contact-email'), phone: v('p-contact-phone') },
    agreement_start: v('p-start'),
    agreement_end: v('p-end'),
    provides: v('p-provides'),
    pillars: PILLARS.map(([id]) => id).filter((id) => $('p-pillar-' + id).checked),
  };
}

/** Opens the panel on an asset (a Feature); `fromList`: focus returns to its list entry. */
export function openPanel(f, fromList) {
  asset = f;
  backToList = Boolean(fromList);
  $('partnership-title').textContent = t('partner.title', { name: f.properties.name });
  message('');
  fill(partnerships.get(f.id));
  $('log-date').value = new Date().toISOString().slice(0, 10);
  $('partnership').hidden = false;
  $('partnership-title').focus();
}

function close() {
  $('partnership').hidden = true;
  // The list may have been drawn anew meanwhile: find the entry again.
  const li = asset && document.querySelector('#list li[data-id="' + CSS.escape(asset.id) + '"]');
  asset = null;
  // After this event: hiding the panel that held the focus must not undo it.
  if (backToList && li) setTimeout(() => li.focus(), 0);
}

async function save(e) {
  e.preventDefault();
  const existing = partnerships.get(asset.id);
  const base = '/schools/' + encodeURIComponent(schoolRef) + '/partnerships';
  const body = fields();
  const r = existing
    ? await send('PATCH', base + '/' + existing.id, body, token())
    : await send('POST', base, Object.assign({ asset_id: asset.id }, body), token());
  if (!r.ok) {
    message(t('partner.not_saved', { problem: problemText(r) }), ((r.data && r.data.errors) || []).map((x) => x.name));
    return;
  }
  partnerships.set(asset.id, r.data);
  fill(r.data);
  message(t('partner.saved'));
  onChange();
}

async function remove() {
  const existing = partnerships.get(asset.id);
  if (!existing || !window.confirm(t('partner.confirm_delete', { name: asset.properties.name }))) return;
  const r = await send('DELETE', '/schools/' + encodeURIComponent(schoolRef) + '/partnerships/' + existing.id, undefined, token());
  if (!r.ok && r.status !== 204) { message(t('partner.not_deleted', { problem: problemText(r) })); return; }
  partnerships.delete(asset.id);
  fill(null);
  message(t('partner.deleted'));
  onChange();
}

async function addLog(e) {
  e.preventDefault();
  const existing = partnerships.get(asset.id);
  const body = { date: $('log-date').value || null, who: $('log-who').value.trim() || null, note: $('log-note').value.trim() || null };
  const r = await send('POST', '/schools/' + encodeURIComponent(schoolRef) + '/partnerships/' + existing.id + '/log', body, token());
  if (!r.ok) {
    message(t('partner.log_failed', { problem: problemText(r) }), ((r.data && r.data.errors) || []).map((x) => x.name));
    return;
  }
  existing.log = (existing.log || []).concat([r.data]);
  fill(existing);
  $('log-note').value = '';
  message(t('partner.logged'));
}

/** Wires the sign-in form and the panel; `changed` re-renders the map and list. */
export function initPartners(changed) {
  onChange = changed;
  const pillars = $('p-pillars');
  for (const [id, label] of PILLARS) {
    const row = pillars.appendChild(el('div', null, 'check'));
    const box = row.appendChild(el('input'));
    box.type = 'checkbox';
    box.id = 'p-pillar-' + id;
    const l = row.appendChild(el('label', t(label)));
    l.htmlFor = box.id;
  }
  $('staff-toggle').addEventListener('click', () => {
    const form = $('staff-form');
    form.hidden = !form.hidden;
    $('staff-toggle').setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) $('staff-token').focus();
  });
  $('staff-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('staff-token').value.trim());
    $('staff-token').value = '';
    showSignedIn();
    changed(true);
  });
  $('staff-out').addEventListener('click', () => {
    setToken('');
    partnerships.clear();
    $('partnership').hidden = true;
    showSignedIn();
    changed(true);
  });
  $('partnership-form').addEventListener('submit', save);
  $('p-delete').addEventListener('click', remove);
  $('log-form').addEventListener('submit', addLog);
  $('p-close').addEventListener('click', close);
  $('partnership').addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
  showSignedIn();
}
