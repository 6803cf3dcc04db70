#!/usr/bin/env node
// The renderer half of `npm run bench` (issue 11): the Devices screen in Debian's Chromium, through
// playwright-core, served by `vfio-pilot serve` over a synthetic host of ~4,000 PCI functions.
// 1. First paint: from the inventory reaching the store (User Timing mark `vfio-pilot:inventory-received`)
//    to the frame that shows the table (`vfio-pilot:devices-table:painted`), on a fresh page each run.
//    Reference: the same on the 75-function eight-GPU host, same run.
// 2. Filter: each keystroke's event time to the next frame painted, and to the frame showing the filtered rows.
// 3. Scrolling: requestAnimationFrame deltas while the table scrolls (wheel-like steps, then scrollbar-drag
//    jumps), against idle frames on the same page as the reference.
// The marks come from renderer/src/lib/perfMarks.ts. Prints figures; never fails on a missed target.
// `node scripts/bench-renderer.mjs` runs it alone (BENCH_UI_CARDS, BENCH_UI_RUNS); bench.mjs calls benchRenderer().
/* global window, document, requestAnimationFrame -- page.evaluate and addInitScript bodies run in the page */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const INVENTORY = 'vfio-pilot:inventory-received';
const TABLE = 'vfio-pilot:devices-table';
const ANCHOR = 'vfio-pilot-bench:anchor';
const TARGETS = { firstPaint: 300, keystroke: 50, frame: 50 };
// Typed one key at a time, then deleted: narrowing to 1 function in 5, then widening back to every row.
const FILTER_TEXT = 'audio';
const FRAMES = 120;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (n) => `${n.toFixed(1)} ms`;
const verdict = (ok) => (ok ? 'met' : 'MISSED');

export function makeHost(repo, args, root) {
  execFileSync(process.execPath, [path.join(repo, 'dist/test/make-fixture.cjs'), ...args, root], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Starts `vfio-pilot serve` on the root with a fixed token; resolves with the child and the signed-in URL. */
export function startServe(repo, root) {
  return new Promise((resolve, reject) => {
    const token = randomBytes(32).toString('base64url');
    const dir = path.dirname(root);
    const env = { ...process.env, VFIO_PILOT_TOKEN: token, XDG_STATE_HOME: path.join(dir, 'state'), XDG_CACHE_HOME: path.join(dir, 'cache') };
    const child = spawn(path.join(repo, 'bin/vfio-pilot'), ['serve', '--root', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /serving (http:\/\/\S+)/.exec(stdout);
      if (match) resolve({ child, url: `${new URL(match[1]).origin}/?token=${token}#/devices` });
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`vfio-pilot serve exited with ${code} before printing its URL:\n${stderr}`)));
  });
}

export async function stopServe(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// Runs in the page before the app: each keydown's event time, and when the next frame after it was painted.
function recordKeystrokes() {
  window.__benchKeys = [];
  window.addEventListener(
    'keydown',
    (event) => {
      const record = { key: event.key, at: event.timeStamp, nextFrame: null };
      window.__benchKeys.push(record);
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => (record.nextFrame = performance.now());
        channel.port2.postMessage(null);
      });
    },
    true,
  );
}

/**
 * Main-thread CPU time from a Chromium trace, between two page times (performance.now() ms): the thread time
 * (tdur) of the renderer's top-level tasks, pro rata where a task straddles an end. Unlike frame times it hardly
 * moves with the machine's load. The page clock is tied to the trace clock through the bench's own ANCHOR mark.
 */
function cpuMeter(traceFile, anchorStartTime) {
  const events = JSON.parse(readFileSync(traceFile, 'utf8')).traceEvents;
  const anchor = events.find((e) => e.name === ANCHOR);
  if (!anchor) throw new Error(`the trace has no ${ANCHOR} mark`);
  const mainTid = events.find((e) => e.name === 'thread_name' && e.pid === anchor.pid && e.args?.name === 'CrRendererMain')?.tid ?? anchor.tid;
  const tasks = events
    .filter((e) => e.pid === anchor.pid && e.tid === mainTid && e.ph === 'X' && e.name === 'RunTask' && e.tdur !== undefined)
    .sort((a, b) => a.ts - b.ts);
  const topLevel = [];
  for (const t of tasks) if (topLevel.length === 0 || t.ts >= topLevel.at(-1).ts + topLevel.at(-1).dur) topLevel.push(t);
  const offset = anchor.ts - anchorStartTime * 1000; // trace µs = page ms * 1000 + offset
  return (fromMs, toMs) => {
    const from = fromMs * 1000 + offset;
    const to = toMs * 1000 + offset;
    let cpu = 0;
    for (const t of topLevel) {
      const overlap = Math.min(to, t.ts + t.dur) - Math.max(from, t.ts);
      if (overlap > 0 && t.dur > 0) cpu += t.tdur * (overlap / t.dur);
    }
    return cpu / 1000;
  };
}

/** Resolves once the table's painted mark for this filter text is later than `after`; returns its time. */
async function waitForTablePainted(page, filter, after) {
  const handle = await page.waitForFunction(
    ({ name, filter, after }) => {
      const m = performance.getEntriesByName(name).at(-1);
      return m && m.startTime > after && m.detail?.filter === filter ? m.startTime : null;
    },
    { name: `${TABLE}:painted`, filter, after },
    { timeout: 120_000, polling: 'raf' },
  );
  return handle.jsonValue();
}

/** One fresh page: first paint, then the filter keystrokes, then scrolling. */
export async function measurePage(browser, url, { scroll, traceFile }) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  let tracing = false;
  try {
    const page = await context.newPage();
    await page.addInitScript(recordKeystrokes);
    await browser.startTracing(page, { path: traceFile, categories: ['disabled-by-default-devtools.timeline', 'blink.user_timing'] });
    tracing = true;
    await page.goto(url);
    const painted = await waitForTablePainted(page, '', 0);
    const load = await page.evaluate(
      ({ INVENTORY, TABLE, ANCHOR }) => {
        const received = performance.getEntriesByName(INVENTORY).at(-1);
        const committed = performance.getEntriesByName(TABLE).at(-1);
        const fetch = performance.getEntriesByType('resource').find((r) => r.name.endsWith('/api/host.scan'));
        const grid = document.querySelector('[role="treegrid"]');
        return {
          anchor: performance.mark(ANCHOR).startTime,
          received: received.startTime,
          functions: received.detail.devices,
          committed: committed.startTime,
          fetchStart: fetch?.startTime ?? null,
          rows: Number(grid?.getAttribute('aria-rowcount') ?? 0) - 1,
          rendered: grid?.querySelectorAll('[role="row"][aria-level]').length ?? 0,
        };
      },
      { INVENTORY, TABLE, ANCHOR },
    );
    const result = {
      ...load,
      firstPaint: painted - load.received,
      commit: load.committed - load.received,
      fetch: load.fetchStart === null ? null : load.received - load.fetchStart,
      keys: [],
      scroll: null,
    };

    const filter = page.getByRole('searchbox', { name: 'Filter devices' });
    await filter.focus();
    const keys = [...FILTER_TEXT, ...Array(FILTER_TEXT.length).fill('Backspace')];
    let value = '';
    for (const key of keys) {
      const before = await page.evaluate(() => window.__benchKeys.length);
      await page.keyboard.press(key);
      // The box's text follows from the keys: asking the page for it (a role query over the DOM, on the page's
      // main thread) would run inside the very interval being measured.
      value = key === 'Backspace' ? value.slice(0, -1) : value + key;
      const key0 = await page.waitForFunction((i) => {
        const k = window.__benchKeys[i];
        return k && k.nextFrame !== null ? k : null;
      }, before);
      const record = await key0.jsonValue();
      const rowsPainted = await waitForTablePainted(page, value, record.at);
      result.keys.push({ key, value, at: record.at, nextFrameAt: record.nextFrame, rowsPaintedAt: rowsPainted, nextFrame: record.nextFrame - record.at, rowsPainted: rowsPainted - record.at });
    }
    const finalValue = await filter.inputValue();
    if (finalValue !== value) throw new Error(`the filter box holds "${finalValue}" after the keys, expected "${value}"`);

    if (scroll) {
      result.scroll = await page.evaluate(async (frames) => {
        const body = document.querySelector('[role="treegrid"] .table-body');
        const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
        // The frames' start times: consecutive differences are the frame times.
        async function run(step) {
          const times = [await frame()];
          for (let i = 0; i < frames; i++) {
            step?.(i);
            times.push(await frame());
          }
          return times;
        }
        const idle = await run(null);
        // A fast wheel: 600 px a frame, down, and back up at the end.
        let direction = 1;
        const wheel = await run(() => {
          if (body.scrollTop + body.clientHeight >= body.scrollHeight - 1) direction = -1;
          if (body.scrollTop <= 0) direction = 1;
          body.scrollTop += 600 * direction;
        });
        // Dragging the scroll bar: the whole table in `frames` frames, each frame a different screenful.
        body.scrollTop = 0;
        const drag = await run((i) => {
          body.scrollTop = ((i + 1) / frames) * (body.scrollHeight - body.clientHeight);
        });
        const rendered = body.querySelectorAll('[role="row"]').length;
        return { idle, wheel, drag, rendered };
      }, FRAMES);
    }
    await browser.stopTracing();
    tracing = false;
    // Main-thread CPU for each span measured above.
    const cpu = cpuMeter(traceFile, result.anchor);
    result.firstPaintCpu = cpu(result.received, painted);
    for (const k of result.keys) {
      k.nextFrameCpu = cpu(k.at, k.nextFrameAt);
      k.rowsPaintedCpu = cpu(k.at, k.rowsPaintedAt);
    }
    if (result.scroll) {
      for (const kind of ['idle', 'wheel', 'drag']) {
        const times = result.scroll[kind];
        result.scroll[kind] = times.slice(1).map((t, i) => t - times[i]);
        result.scroll[`${kind}Cpu`] = times.slice(1).map((t, i) => cpu(times[i], t));
      }
    }
    rmSync(traceFile, { force: true });
    return result;
  } finally {
    if (tracing) await browser.stopTracing().catch(() => undefined);
    await context.close();
  }
}

const stats = (xs) => `median ${ms(median(xs))}, p95 ${ms(percentile(xs, 95))}, max ${ms(Math.max(...xs))}`;

function frameLine(label, deltas, cpu) {
  const over = deltas.filter((d) => d > TARGETS.frame).length;
  return [
    `  ${label.padEnd(33)}frame times ${stats(deltas)}; over ${TARGETS.frame} ms: ${over} of ${deltas.length}`,
    `  ${''.padEnd(33)}main-thread CPU a frame ${stats(cpu)}`,
  ].join('\n');
}

/**
 * Wall-clock figures are what a user sees on this machine, now; CPU figures (main-thread thread time from the
 * trace) say what the page itself costs, and move little with the load of other processes. Both are printed.
 */
function report({ browser, runs, cards, bigRuns, smallRuns, log }) {
  const first = bigRuns.map((r) => r.firstPaint);
  const firstCpu = bigRuns.map((r) => r.firstPaintCpu);
  const firstRef = smallRuns.map((r) => r.firstPaint);
  const firstRefCpu = smallRuns.map((r) => r.firstPaintCpu);
  const keys = bigRuns.flatMap((r) => r.keys);
  const keysRef = smallRuns.flatMap((r) => r.keys);
  const pick = (list, field) => list.map((k) => k[field]);
  const b = bigRuns[0];
  const s = smallRuns[0];
  const scroll = (key) => bigRuns.flatMap((r) => r.scroll[key]);
  const load = os.loadavg()[0];
  const under = (xs, target) => verdict(Math.max(...xs) <= target) + (Math.max(...xs) > target && median(xs) <= target ? ' (met at the median)' : '');

  log(`\nvfio-pilot renderer bench: the Devices screen in Chromium ${browser.version()} (headless, 1440x900), ${runs} fresh page loads per host`);
  log(`  machine: ${os.cpus().length} cores, load average ${load.toFixed(1)} at the end (wall times stretch with it; CPU times much less)`);
  log(`  host: ${cards} synthetic cards, ${b.functions} functions, ${b.rows} table rows (${b.rendered} in the DOM); reference host ${s.functions} functions, ${s.rows} rows`);
  log(`  first paint after inventory      wall ${stats(first)}   target <= ${TARGETS.firstPaint} ms: ${verdict(median(first) <= TARGETS.firstPaint)} (median)`);
  log(`                                   main-thread CPU ${stats(firstCpu)}: ${verdict(median(firstCpu) <= TARGETS.firstPaint)} (median)`);
  log(`    reference, ${s.functions} functions       wall median ${ms(median(firstRef))}, CPU median ${ms(median(firstRefCpu))}  (ratio ${(median(first) / median(firstRef)).toFixed(1)}x wall, ${(median(firstCpu) / median(firstRefCpu)).toFixed(1)}x CPU)`);
  log(`    of which React render and commit: median ${ms(median(bigRuns.map((r) => r.commit)))} wall`);
  const fetches = bigRuns.map((r) => r.fetch).filter((f) => f !== null);
  if (fetches.length) log(`    (before it, not counted: request → inventory in the store, the server's scan included, median ${ms(median(fetches))})`);
  log(`  filter keystroke → next frame    wall ${stats(pick(keys, 'nextFrame'))} over ${keys.length} keys   target <= ${TARGETS.keystroke} ms: ${under(pick(keys, 'nextFrame'), TARGETS.keystroke)}`);
  log(`                                   main-thread CPU ${stats(pick(keys, 'nextFrameCpu'))}: ${under(pick(keys, 'nextFrameCpu'), TARGETS.keystroke)}`);
  log(`  filter keystroke → rows painted  wall ${stats(pick(keys, 'rowsPainted'))}   (the filtered table, held to the same ${TARGETS.keystroke} ms: ${under(pick(keys, 'rowsPainted'), TARGETS.keystroke)})`);
  log(`                                   main-thread CPU ${stats(pick(keys, 'rowsPaintedCpu'))}: ${under(pick(keys, 'rowsPaintedCpu'), TARGETS.keystroke)}`);
  log(`    reference, ${s.functions} functions       next frame wall median ${ms(median(pick(keysRef, 'nextFrame')))}, rows painted wall median ${ms(median(pick(keysRef, 'rowsPainted')))}, CPU median ${ms(median(pick(keysRef, 'rowsPaintedCpu')))}`);
  const worstKey = keys.reduce((a, k) => (k.rowsPainted > a.rowsPainted ? k : a));
  log(`    slowest: ${worstKey.key} → "${worstKey.value}" (${ms(worstKey.rowsPainted)} wall, ${ms(worstKey.rowsPaintedCpu)} CPU)`);
  log(frameLine('scroll, 600 px a frame', scroll('wheel'), scroll('wheelCpu')));
  log(frameLine('scroll, scroll-bar drag', scroll('drag'), scroll('dragCpu')));
  log(frameLine('  reference: idle, same page', scroll('idle'), scroll('idleCpu')));
  const worstScroll = Math.max(...scroll('wheel'), ...scroll('drag'));
  const worstScrollCpu = Math.max(...scroll('wheelCpu'), ...scroll('dragCpu'));
  log(`  scrolling, no frame over ${TARGETS.frame} ms     worst frame ${ms(worstScroll)} wall: ${verdict(worstScroll <= TARGETS.frame)}; worst frame's CPU ${ms(worstScrollCpu)}: ${verdict(worstScrollCpu <= TARGETS.frame)}`);
}

/**
 * Prints the renderer figures. `work` is a scratch directory (removed by the caller); `runs` fresh page loads per host.
 */
export async function benchRenderer({ repo, work, runs = 5, cards = 800, log = console.log }) {
  if (!existsSync(CHROMIUM)) {
    log(`\nrenderer bench skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);
    return null;
  }
  if (!existsSync(path.join(repo, 'dist/renderer/index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
  const { chromium } = await import('playwright-core');

  const big = path.join(work, 'ui-big', 'root');
  const small = path.join(work, 'ui-small', 'root');
  makeHost(repo, ['--synthetic-cards', String(cards)], big);
  makeHost(repo, ['eight-gpu-2numa'], small);

  const servers = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-renderer-backgrounding', '--disable-background-timer-throttling'],
  });
  try {
    const bigServer = await startServe(repo, big);
    servers.push(bigServer.child);
    const smallServer = await startServe(repo, small);
    servers.push(smallServer.child);

    // One warm-up load each (the server's first scan, Chromium's code cache), then the measured runs.
    const traceFile = path.join(work, 'ui-trace.json');
    await measurePage(browser, smallServer.url, { scroll: false, traceFile });
    await measurePage(browser, bigServer.url, { scroll: false, traceFile });
    const smallRuns = [];
    const bigRuns = [];
    for (let i = 0; i < runs; i++) {
      smallRuns.push(await measurePage(browser, smallServer.url, { scroll: false, traceFile }));
      bigRuns.push(await measurePage(browser, bigServer.url, { scroll: true, traceFile }));
    }
    report({ browser, runs, cards, bigRuns, smallRuns, log });
    return { bigRuns, smallRuns };
  } finally {
    await browser.close();
    for (const child of servers) await stopServe(child);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const work = mkdtempSync(path.join(os.tmpdir(), 'vfio-pilot-bench-ui-'));
  try {
    await benchRenderer({ repo, work, runs: Number(process.env.BENCH_UI_RUNS ?? 5), cards: Number(process.env.BENCH_UI_CARDS ?? 800) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
