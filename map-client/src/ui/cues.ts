//! Audible cues for the desks (dispatcher, call taker): each kind of news has its own tone pattern, synthesised
//! with the Web Audio API (no audio files), and a title flash while the tab is hidden so a desk working in
//! another window still notices. A mute control, shown in the header, silences the tones (never the flash or
//! the on-screen alarm); muting is remembered per browser.
//!
//! Browsers keep an AudioContext suspended until the page has had a user gesture: `installAudioUnlock` (called
//! at start, before the login click) resumes it on the first click or key press.
//!
//! Observable hook, for tests and for assistive tooling: every cue sets `data-last-cue` on `<body>`, counts
//! itself in `data-cue-count`, and, when tones were actually scheduled on a running AudioContext, in
//! `data-cue-sounded`; it also dispatches a `siaga:cue` event on `window` with `{ cue, sounded }`. While the
//! title flashes, `<body>` carries `data-title-flash`.

import { t } from '../i18n';
import { h } from './dom';
import { audioContext, playTones, type Tone } from './tones';

/** The kinds of news a desk hears, each with its own tone pattern. */
export type Cue = 'incoming_call' | 'new_incident' | 'returned_incident' | 'sla_breach' | 'unacknowledged';

const MUTE_KEY = 'siaga.cues.muted';

/**
 * Patterns told apart by pitch and rhythm: a telephone's double ring (a call rings at the console), a rising
 * pair (new incident), a falling pair (returned), a fast high warble (SLA breach), three long low pulses (crew
 * did not acknowledge).
 */
const PATTERNS: Record<Cue, readonly Tone[]> = {
  incoming_call: [
    [440, 0, 0.4, 'sine'],
    [480, 0, 0.4, 'sine'],
    [440, 0.6, 0.4, 'sine'],
    [480, 0.6, 0.4, 'sine'],
  ],
  new_incident: [
    [660, 0, 0.15, 'sine'],
    [880, 0.18, 0.22, 'sine'],
    [660, 0.6, 0.15, 'sine'],
    [880, 0.78, 0.22, 'sine'],
  ],
  returned_incident: [
    [880, 0, 0.18, 'triangle'],
    [554, 0.22, 0.3, 'triangle'],
  ],
  sla_breach: [
    [988, 0, 0.1, 'square'],
    [784, 0.12, 0.1, 'square'],
    [988, 0.24, 0.1, 'square'],
    [784, 0.36, 0.1, 'square'],
    [988, 0.48, 0.1, 'square'],
    [784, 0.6, 0.1, 'square'],
  ],
  unacknowledged: [
    [440, 0, 0.35, 'sawtooth'],
    [440, 0.5, 0.35, 'sawtooth'],
    [440, 1.0, 0.35, 'sawtooth'],
  ],
};

const muteListeners = new Set<(muted: boolean) => void>();

/** Resumes (creating if needed) the AudioContext on the page's first click or key press. */
export function installAudioUnlock(): void {
  const unlock = () => {
    const ctx = audioContext();
    if (ctx && ctx.state !== 'running') void ctx.resume().catch(() => undefined);
    if (ctx?.state === 'running') {
      document.removeEventListener('pointerdown', unlock, true);
      document.removeEventListener('keydown', unlock, true);
    }
  };
  document.addEventListener('pointerdown', unlock, true);
  document.addEventListener('keydown', unlock, true);
}

export function isMuted(): boolean {
  try {
    return localStorage.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

export function setMuted(muted: boolean): void {
  try {
    if (muted) localStorage.setItem(MUTE_KEY, '1');
    else localStorage.removeItem(MUTE_KEY);
  } catch {
    // Storage refused (private mode): the choice holds for this page only.
  }
  document.body.dataset['cuesMuted'] = String(muted);
  for (const l of muteListeners) l(muted);
}

/** Plays the cue's pattern (unless muted) and flashes the title while the tab is hidden. */
export function cue(kind: Cue): void {
  const sounded = !isMuted() && play(kind);
  const body = document.body;
  body.dataset['lastCue'] = kind;
  body.dataset['cueCount'] = String(Number(body.dataset['cueCount'] ?? '0') + 1);
  if (sounded) body.dataset['cueSounded'] = String(Number(body.dataset['cueSounded'] ?? '0') + 1);
  if (document.hidden) flashTitle(t(`cue.${kind}`));
  window.dispatchEvent(new CustomEvent('siaga:cue', { detail: { cue: kind, sounded } }));
}

function play(kind: Cue): boolean {
  const ctx = audioContext();
  if (!ctx) return false;
  if (ctx.state !== 'running') {
    // Not unlocked by a gesture yet: this cue stays silent (the screen and the title still show it).
    void ctx.resume().catch(() => undefined);
    return false;
  }
  playTones(ctx, PATTERNS[kind], 0.25, 0.02);
  return true;
}

let flashing: { timer: number; title: string; message: string } | null = null;

/** Alternates the document title with the latest `message` until the tab is shown again. */
function flashTitle(message: string): void {
  document.body.dataset['titleFlash'] = message;
  if (flashing) {
    flashing.message = message;
    return;
  }
  let on = true;
  const state = { title: document.title, message, timer: 0 };
  state.timer = window.setInterval(() => {
    on = !on;
    document.title = on ? `⚠ ${state.message}` : state.title;
  }, 1000);
  flashing = state;
  document.title = `⚠ ${message}`;
  document.addEventListener('visibilitychange', stopFlashWhenShown);
}

function stopFlashWhenShown(): void {
  if (document.hidden || !flashing) return;
  window.clearInterval(flashing.timer);
  document.title = flashing.title;
  flashing = null;
  delete document.body.dataset['titleFlash'];
  document.removeEventListener('visibilitychange', stopFlashWhenShown);
}

/**
 * The header's mute switch: a toggle button whose glyph and word say the current state (♪ Suara aktif /
 * ⊘ Suara dibisukan), so a muted desk sees that it is muted. Inserted before the language select.
 */
export function mountMuteToggle(root: HTMLElement): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn ghost mute', 'data-testid': 'mute-toggle' });
  const draw = (muted: boolean) => {
    button.setAttribute('aria-pressed', String(muted));
    button.dataset['muted'] = String(muted);
    button.classList.toggle('muted', muted);
    button.textContent = muted ? `⊘ ${t('cue.muted')}` : `♪ ${t('cue.sound_on')}`;
    button.title = muted ? t('cue.unmute_hint') : t('cue.mute_hint');
  };
  draw(isMuted());
  document.body.dataset['cuesMuted'] = String(isMuted());
  button.addEventListener('click', () => setMuted(!isMuted()));
  muteListeners.add(draw);
  const header = root.querySelector('header.top');
  const lang = header?.querySelector('select.lang');
  if (header && lang) header.insertBefore(button, lang);
  else header?.append(button);
  return button;
}
