//! Map badges drawn on a canvas on demand (`Map.setMissingStyleImageResolver`). The image id carries what
//! to draw, so data-driven `icon-image` expressions pick labels without any glyph server:
//!   `inc|<priority>|<status>`        → "P1 ! Baru" on the priority colour
//!   `unit|<call_sign>|<status>`      → "AMB-01 ● Siaga" on the status colour
//!   `fac|<kind>`                     → a white cross on green (health facility)

import { tk } from '../i18n';
import { INCIDENT_STATUS_GLYPH, PRIORITY_COLOUR, UNIT_STATUS_COLOUR, UNIT_STATUS_GLYPH } from './symbology';

export interface DrawnIcon {
  data: ImageData;
  pixelRatio: number;
}

const RATIO = 2;

export function drawIcon(id: string): DrawnIcon | null {
  const [kind, a = '', b = ''] = id.split('|');
  if (kind === 'inc') {
    return badge(`${a.toUpperCase()} ${INCIDENT_STATUS_GLYPH[b] ?? '?'} ${tk('incident_status', b)}`, PRIORITY_COLOUR[a] ?? '#424242', a === 'p3' ? '#000' : '#fff');
  }
  if (kind === 'unit') {
    return badge(`${a} ${UNIT_STATUS_GLYPH[b] ?? '?'} ${tk('unit_status', b)}`, UNIT_STATUS_COLOUR[b] ?? '#424242', '#fff');
  }
  if (kind === 'fac') return cross();
  return null;
}

function canvas(w: number, h: number): CanvasRenderingContext2D | null {
  const c = document.createElement('canvas');
  c.width = w * RATIO;
  c.height = h * RATIO;
  const ctx = c.getContext('2d');
  ctx?.scale(RATIO, RATIO);
  return ctx;
}

function badge(text: string, fill: string, ink: string): DrawnIcon | null {
  const font = 'bold 11px system-ui, sans-serif';
  const probe = canvas(1, 1);
  if (!probe) return null;
  probe.font = font;
  const w = Math.ceil(probe.measureText(text).width) + 12;
  const h = 18;
  const ctx = canvas(w, h);
  if (!ctx) return null;
  ctx.fillStyle = fill;
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.roundRect(0.75, 0.75, w - 1.5, h - 1.5, 4);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = ink;
  ctx.font = font;
  ctx.textBaseline = 'middle';
  ctx.fillText(text, 6, h / 2 + 0.5);
  return { data: ctx.getImageData(0, 0, w * RATIO, h * RATIO), pixelRatio: RATIO };
}

function cross(): DrawnIcon | null {
  const s = 16;
  const ctx = canvas(s, s);
  if (!ctx) return null;
  ctx.fillStyle = '#00695c';
  ctx.fillRect(0, 0, s, s);
  ctx.fillStyle = '#fff';
  ctx.fillRect(6, 3, 4, 10);
  ctx.fillRect(3, 6, 10, 4);
  return { data: ctx.getImageData(0, 0, s * RATIO, s * RATIO), pixelRatio: RATIO };
}
