//! Saving a fetched file as a download: an object URL clicked through a temporary `<a download>`, so the
//! browser's own download (and its file name) is used. The URL is released once the click has been handled.

import type { DownloadedFile } from '../api/client';

export function saveFile(file: DownloadedFile): void {
  const url = URL.createObjectURL(file.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
