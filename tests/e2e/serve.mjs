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

  // Change the trích yếu by typing through the keyboard, a word at a time: after each word,
  // the time from its last input event to the new page 1 on screen, and where it went.
  await page.evaluate(() => {
    window.__lastInput = 0;
    window.__res = [];
    window.__loaded = {};
    window.__painted = {};
    document.addEventListener('input', () => (window.__lastInput = performance.now()), true);
    new PerformanceObserver((l) => window.__res.push(...l.getEntries().map((e) => ({
      name: e.name, start: e.startTime, ttfb: e.responseStart, end: e.responseEnd,
      server: Object.fromEntries((e.serverTiming || []).map((t) => [t.name, t.duration])),
    })))).observe({ type: 'resource' });
    // A page image is on screen once it has loaded and a frame has been produced with it.
    document.addEventListener('load', (e) => {
      const src = e.target.getAttribute && e.target.getAttribute('src');
      if (!src || !e.target.classList.contains('page')) return;
      window.__loaded[src] = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => (window.__painted[src] = performance.now())));
    }, true);
  });
  const title = page.locator('#f-title');
  await title.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  const words = NEW_TITLE.match(/^\S+ \S+|\s\{\{ year \}\}$|\s\S+/g);
  if (words.join('') !== NEW_TITLE) fail('words do not make the title: ' + JSON.stringify(words));
  let typed = '';
  let src = before[0];
  const edits = [];
  for (const w of words) {
    typed += w;
    const want = typed;
    // The update carrying this word: its page 1 is what must reach the screen.
    const update = page.waitForResponse(
      (r) => r.url().endsWith('/update') &&
        new URLSearchParams(r.request().postData() || '').get('title') === want,
      { timeout: 30000 },
    );
    // 100 ms a key: a fast typist (about 10 characters a second).
    await page.keyboard.type(w, { delay: 100 });
    const body = await (await update).text();
    const next = /id="page-1" src="([^"]+)"/.exec(body)?.[1];
    if (!next || next === src) fail(`page 1 did not change after "${want}": ${next}`);
    src = next;
    await page.waitForFunction((s) => window.__painted[s], src, { timeout: 30000 });
    edits.push(await page.evaluate(([s, want]) => {
      const input = window.__lastInput;
      const res = window.__res;
      const upd = res.filter((r) => r.name.endsWith('/update') && r.start >= input - 1)[0];
      const svg = res.filter((r) => r.name.endsWith(s))[0];
      const ms = (x) => Math.round(x * 10) / 10;
      return {
        text: want,
        edit_to_preview_ms: ms(window.__painted[s] - input),
        request_sent: upd && ms(upd.start - input),
        server: upd && ms(upd.ttfb - upd.start),
        server_steps: upd && upd.server,
        response_handled_to_svg_fetch: upd && svg && ms(svg.start - upd.end),
        svg_fetch: svg && ms(svg.end - svg.start),
        svg_decode: svg && ms(window.__loaded[s] - svg.end),
        to_frame: ms(window.__painted[s] - window.__loaded[s]),
      };
    }, [src, want]));
    await page.waitForTimeout(300);
  }
  const times = edits.map((e) => e.edit_to_preview_ms).sort((a, b) => a - b);
  result.edits = edits;
  result.edit_to_preview_ms = {
    median: times[times.length >> 1], min: times[0], max: times[times.length - 1], n: times.length,
  };
  // The typing before: a check that updates were sent for the intermediate keys too.
  if ((await title.inputValue()) !== NEW_TITLE) fail('the title field holds ' + (await title.inputValue()));
  const after = await page.$$eval('#preview img.page', (is) => is.map((i) => i.getAttribute('src')));
  result.changed_pages = after.map((s, i) => (s !== before[i] ? i + 1 : 0)).filter((x) => x);
  await page.screenshot({ path: join(out, 'serve-edited.png') });
  await page.locator('#preview').screenshot({ path: join(out, 'serve-preview.png') });

  // Save.
  await page.click('#save');
  await page.waitForFunction(() => /Đã lưu/.test(document.querySelector('#status').textContent));

  // A list entry added with its button shows in the form and on the pages; removed, the pages
  // are the ones before (their URLs name their content).
  const saved = await page.$$eval('#preview img.page', (is) => is.map((i) => i.getAttribute('src')));
  await page.click('#e-sections > button.op:last-of-type');
  const added = page.locator('input[name="sections.6.title"]');
  await added.waitFor({ timeout: 30000 });
  if ((await added.inputValue()) !== 'Mục mới') fail('the new section has title ' + (await added.inputValue()));
  await page.waitForFunction(
    (s) => {
      const now = [...document.querySelectorAll('#preview img.page')].map((i) => i.getAttribute('src'));
      return now.length !== s.length || now.some((x, i) => x !== s[i]);
    },
    saved,
    { timeout: 30000 },
  );
  const withEntry = await page.$$eval('#preview img.page', (is) => is.map((i) => i.getAttribute('src')));
  result.entry_added_pages = withEntry.length;
  await page.locator('#e-sections .entry').last().locator('button[title="xóa"]').click();
  await added.waitFor({ state: 'detached', timeout: 30000 });
  await page.waitForFunction(
    (s) => {
      const now = [...document.querySelectorAll('#preview img.page')].map((i) => i.getAttribute('src'));
      return now.length === s.length && now.every((x, i) => x === s[i]);
    },
    saved,
    { timeout: 30000 },
  );
  result.entry_removed_pages_restored = true;

  // A plan error appears next to its field (and is not saved).
  const date = page.locator('#f-date');
  await date.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2024-13-45');
  // The finding about the final text (earlier keys gave other ones: "2", "2024-1" …; "2024"
  // none at all).
  await page.waitForFunction(
    () => [...document.querySelectorAll('#d-date p.error[data-code="bad-date"]')]
      .some((p) => p.textContent.includes('2024-13-45')),
    null,
    { timeout: 30000 },
  );
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
