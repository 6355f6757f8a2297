//! Tones synthesised with the Web Audio API, shared by the desks' cues (`ui/cues.ts`) and the responder's
//! alarm (`pages/responder/alerts.ts`): one AudioContext per page, created on first use. Browsers keep it
//! suspended until the page has had a user gesture; callers resume it from one.

/** One tone: frequency (Hz), start offset and length (s), waveform. */
export type Tone = readonly [hz: number, at: number, length: number, wave: OscillatorType];

let context: AudioContext | null = null;

/** The page's AudioContext (created on first use), or null where the browser has none. */
export function audioContext(): AudioContext | null {
  if (context) return context;
  const Ctor = window.AudioContext ?? (window as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  try {
    context = new Ctor();
  } catch {
    return null;
  }
  return context;
}

/** Schedules `tones` on `ctx`, `delay` seconds from now, each at `volume` with a short attack and release so tones do not click. */
export function playTones(ctx: AudioContext, tones: readonly Tone[], volume: number, delay: number): void {
  const start = ctx.currentTime + delay;
  for (const [hz, at, length, wave] of tones) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = wave;
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0, start + at);
    gain.gain.linearRampToValueAtTime(volume, start + at + 0.01);
    gain.gain.setValueAtTime(volume, start + at + length - 0.03);
    gain.gain.linearRampToValueAtTime(0, start + at + length);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + at);
    osc.stop(start + at + length + 0.01);
  }
}
