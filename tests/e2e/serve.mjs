// End-to-end test of `vanban serve` in a real headless browser: Debian's chromium driven by
// playwright-core (no browser download). Run by tests/serve_e2e.rs, which prepares a temporary
// root with the seed plan and checks the saved file afterwards.
//
// env: VANBAN_BIN (the binary), E2E_ROOT (root holding seed.toml), E2E_PORT, E2E_OUT (folder
// for screenshots and result.json), CHROMIUM (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const bin = process.env.VANBAN_BIN;
const root = process.env.E2E_ROOT;
const port = process.env.E2E_PORT;
const out = process.env.E2E_OUT;
const NEW_TITLE = 'Tổ chức Ngày hội đọc sách và học tập suốt đời năm {{ year }}';

function fail(msg) {
  console.error('E2E FAIL: ' + msg);
  process.exitCode = 1;
  throw new Error(msg);
}

const server = spawn(bin, ['serve', 'seed.toml', '--root', '.', '--port', port], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let serverLog = '';
server.stderr.on('data', (d) => (serverLog += d));
const url = await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('server did not print its URL: ' + serverLog)), 20000);
  server.stdout.on('data', (d) => {
    serverLog += d;
    const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(String(d));
    if (m) {
      clearTimeout(t);
      resolve(m[0]);
    }
  });
  server.on('exit', (c) => reject(new Error(`server exited ${c}: ${serverLog}`)));
});

const result = {};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const foreign = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) foreign.push(r.url());
  });
  await page.goto(url);
  await page.waitForSelector('#preview img.page >> nth=5');
  await page.waitForFunction(() => document.querySelector('#d-general') !== null);
  const before = await page.$$eval('#preview img.page', (is) => is.map((i) => i.getAttribute('src')));
  if (before.length !== 6) fail('the seed plan should preview as 6 pages, got ' + before.length);
  await page.screenshot({ path: join(out, 'serve-open.png') });

  // Change the trích yếu by typing through the keyboard.
  // Timed in the page: from the last input event to the new page 1 decoded.
  await page.evaluate(() => {
    document.addEventListener('input', () => (window.__lastInput = performance.now()), true);
  });
  const title = page.locator('#f-title');
  await title.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // The update carrying the final text: its page 1 is what must reach the screen.
  const finalUpdate = page.waitForResponse(
    (r) =>
      r.url().endsWith('/update') &&
      new URLSearchParams(r.request().postData() || '').get('title') === NEW_TITLE,
    { timeout: 30000 },
  );
  // 100 ms a key: a fast typist (about 10 characters a second).
  await page.keyboard.type(NEW_TITLE, { delay: 100 });
  const typed = Date.now();
  const resp = await finalUpdate;
  const body = await resp.text();
  result.response_after_keys_ms = Date.now() - typed;
  const src = /id="page-1" src="([^"]+)"/.exec(body)?.[1];
  if (!src || src === before[0]) fail('page 1 did not change: ' + src);
  const shown = await page.waitForFunction(
    (want) => {
      const img = document.querySelector('#page-1');
      const ok = img && img.getAttribute('src') === want && img.complete && img.naturalWidth > 0;
      return ok && performance.now() - window.__lastInput;
    },
    src,
    { timeout: 30000, polling: 'raf' },
  );
  result.edit_to_preview_ms = Math.round(await shown.jsonValue());
  const after = await page.$$eval('#preview img.page', (is) => is.map((i) => i.getAttribute('src')));
  result.changed_pages = after.map((s, i) => (s !== before[i] ? i + 1 : 0)).filter((x) => x);
  if ((await title.inputValue()) !== NEW_TITLE) fail('the title field holds ' + (await title.inputValue()));
  await page.screenshot({ path: join(out, 'serve-edited.png') });
  await page.locator('#preview').screenshot({ path: join(out, 'serve-preview.png') });

  // Save.
  await page.click('#save');
  await page.waitForFunction(() => /Đã lưu/.test(document.querySelector('#status').textContent));

  // A plan error appears next to its field (and is not saved).
  const date = page.locator('#f-date');
  await date.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2024-13-45');
  await page.waitForSelector('#d-date p.error[data-code="bad-date"]', { timeout: 30000 });
  const near = await page.evaluate(() => {
    const box = document.querySelector('#d-date');
    return box.closest('.field') === document.querySelector('#f-date').closest('.field');
  });
  if (!near) fail('the bad-date finding is not in the date field');
  result.date_error = await page.locator('#d-date').innerText();
  await page.locator('#w-date').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, 'serve-error.png') });
  result.foreign_requests = foreign;
  if (foreign.length) fail('requests to elsewhere: ' + foreign.join(', '));
} finally {
  await browser.close();
  // Ctrl-C stops the server cleanly.
  const code = await new Promise((resolve) => {
    server.on('exit', (c, sig) => resolve(c ?? sig));
    server.kill('SIGINT');
  });
  result.server_exit = code;
  writeFileSync(join(out, 'result.json'), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
}
