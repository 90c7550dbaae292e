// Screenshots and an accessibility check of the respondent's pages in real headless Chromium.
//
//   node check.mjs BASE_URL [OUT_DIR]
//
// Visits the landing page, starts the questionnaire through its form, fills the business step
// and lands on the first section (a question page), and opens a result page created through the
// JSON API with realistic answers. Each page is captured full-length at 360 px and 1280 px wide
// into OUT_DIR (default: target/screenshots of the repository) and checked with axe-core. Exits 1
// on any `serious` or `critical` axe violation or when keyboard use of the question page fails.
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM): Playwright's own browser download does
// not work on our machines, so only `playwright-core` is installed (`npm ci` in this folder).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = require('axe-core').source;

const here = dirname(fileURLToPath(import.meta.url));
const base = (process.argv[2] || process.env.DXREADY_BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const outDir = resolve(process.argv[3] || join(here, '..', '..', 'target', 'screenshots'));
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const QID = 'dxready-sme';
const WIDTHS = [
  { width: 360, height: 740 },
  { width: 1280, height: 800 },
];

const problems = [];
const fail = (message) => {
  problems.push(message);
  console.log(`FAIL: ${message}`);
};

// ---- realistic answers from the live definition (the same idea as tests/app/fixtures.rs) ----

function variedAnswers(def, seed) {
  const answers = {};
  let i = 0;
  for (const section of def.sections) {
    for (const q of section.questions) {
      i += 1;
      const options = q.options || [];
      if (q.type === 'single_choice') {
        const usable = options.filter((o) => typeof o.points === 'number' || q.scored === false);
        if (usable.length) answers[q.id] = usable[(seed * 31 + i * 7) % usable.length].value;
      } else if (q.type === 'multiple_choice') {
        const plain = options.filter((o) => !o.exclusive && !o.not_applicable && o.value !== 'other');
        const max = Math.min(q.max_choices ?? plain.length, plain.length);
        if (max > 0) {
          const n = 1 + ((seed + i) % max);
          answers[q.id] = plain.slice((seed + i) % 2).slice(0, n).map((o) => o.value);
          if (!answers[q.id].length) answers[q.id] = [plain[0].value];
        }
      } else if (q.type === 'scale') {
        answers[q.id] = q.min + ((seed + i) % (q.max - q.min + 1));
      }
    }
  }
  return answers;
}

async function createResult(def) {
  const body = {
    lang: 'vi',
    business: {
      name: 'Cửa hàng Minh Anh',
      province: 'hung-yen',
      sector: 'retail',
      employees: 12,
      trade: 'none',
    },
    contact: { email: 'minhanh@example.com', consent_email: true, consent_followup: false },
    answers: variedAnswers(def, 3),
  };
  const res = await fetch(`${base}/api/v1/questionnaires/${QID}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 201) throw new Error(`submission refused: ${res.status} ${JSON.stringify(json)}`);
  return `/r/${json.token}`;
}

// ---- checks ----

async function axeCheck(page, name) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document),
  );
  for (const v of results.violations) {
    const blocking = v.impact === 'serious' || v.impact === 'critical';
    const line = `${name}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} element(s))`;
    if (blocking) fail(line);
    else console.log(`note: ${line}`);
    for (const node of v.nodes.slice(0, 5)) {
      console.log(`    ${node.target.join(' ')} — ${node.failureSummary.replace(/\n/g, ' ')}`);
    }
  }
  for (const v of results.incomplete) {
    console.log(`note: ${name}: axe could not decide ${v.id} (${v.help}) on ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  }
  console.log(
    `${results.violations.length ? 'axe' : 'ok'}: ${name}: ${results.violations.length} axe violation(s), ` +
      `${results.passes.length} rules passed, ${results.incomplete.length} need a human look`,
  );
}

async function capture(page, name) {
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    const file = join(outDir, `${name}-${size.width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    if (overflow > 0) fail(`${name} at ${size.width} px: the page scrolls sideways by ${overflow} px`);
    console.log(`screenshot: ${file}`);
  }
  await page.setViewportSize(WIDTHS[0]);
}

/** Tab from the top of the page to the first radio, select it with Space, check the focus ring. */
async function keyboardCheck(page, name) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let reached = false;
  for (let i = 0; i < 20 && !reached; i += 1) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(
      () => document.activeElement?.matches('input[type=radio]') &&
        document.activeElement === document.querySelector('main input[type=radio]'),
    );
  }
  if (!reached) {
    fail(`${name}: Tab never reached the first radio button`);
    return;
  }
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    return { outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow };
  });
  if (focus.outline === 'none' && focus.shadow === 'none') {
    fail(`${name}: the focused radio button has no visible focus indicator`);
  }
  await page.keyboard.press('Space');
  const checked = await page.evaluate(() => document.activeElement.checked);
  if (!checked) fail(`${name}: Space did not select the focused radio button`);
  else console.log(`ok: ${name}: Tab reaches the first radio button and Space selects it`);
}

/** The error summary: title prefix, a link per field that moves focus to the field. */
async function errorCheck(page, name) {
  if (!(await page.title()).startsWith('Lỗi:')) fail(`${name}: the <title> is not prefixed with "Lỗi:"`);
  const summaryFocused = await page.evaluate(() => !!document.activeElement?.matches('.error-summary'));
  if (!summaryFocused) fail(`${name}: focus is not on the error summary when the page opens`);
  const links = page.locator('.error-summary a');
  const n = await links.count();
  if (!n) {
    fail(`${name}: no error summary with links`);
    return;
  }
  const href = await links.first().getAttribute('href');
  await links.first().click();
  const focused = await page.evaluate(() => document.activeElement && `#${document.activeElement.id}`);
  if (focused !== href) fail(`${name}: the summary link ${href} moved focus to ${focused}`);
  else console.log(`ok: ${name}: ${n} error(s) in the summary; its first link focuses ${href}`);
}

/** The whole row of an option is its tap target, at least 44 px high. */
async function tapTargetCheck(page, name) {
  const row = page.locator('main .choice').nth(1);
  await row.scrollIntoViewIfNeeded();
  const box = await row.boundingBox();
  if (!box || box.height < 44) fail(`${name}: an option row is ${box && box.height} px high (under 44 px)`);
  // Tap near the right edge of the second row, away from the input and its text.
  await page.mouse.click(box.x + box.width - 6, box.y + box.height / 2);
  const checked = await row.locator('input').isChecked();
  if (!checked) fail(`${name}: tapping an option row away from its text does not select it`);
  else console.log(`ok: ${name}: the whole option row is the tap target (${Math.round(box.height)} px high)`);
}

// ---- the walk ----

async function main() {
  mkdirSync(outDir, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'dxready-chromium-'));
  // A fresh, empty profile each run (Playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: WIDTHS[0],
    locale: 'vi-VN',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (e) => fail(`script error on ${page.url()}: ${e.message}`));
    const open = async (path) => {
      const res = await page.goto(`${base}${path}`, { waitUntil: 'load' });
      if (!res || res.status() !== 200) fail(`GET ${path}: status ${res && res.status()}`);
    };

    // Landing page.
    await open('/');
    await capture(page, 'landing');
    await axeCheck(page, 'landing');

    // Start through the forms, as a respondent does.
    await page.click('a.button-start');
    await page.waitForURL(`**/s/${QID}`);
    await capture(page, 'start');
    await axeCheck(page, 'start');
    await Promise.all([page.waitForURL('**/step/business'), page.click('form[action$="/start"] button')]);
    await capture(page, 'business');
    await axeCheck(page, 'business');

    await page.fill('#f-name', 'Công ty TNHH Hải Nam');
    await page.selectOption('#f-province', 'hai-phong');
    // The label covers the whole row (the tap target), so a click lands on the label.
    await page.click('label[for=f-sector]');
    await page.fill('#f-employees', '25');
    await page.click('label[for=f-trade]');
    await Promise.all([
      page.waitForURL((url) => !url.pathname.endsWith('/step/business')),
      page.click('button[value=continue]'),
    ]);
    const questionPath = new URL(page.url()).pathname;
    if (!/\/step\/[a-z_]+$/.test(questionPath) || questionPath.endsWith('/business')) {
      fail(`the business step did not lead to a section page (at ${questionPath})`);
    }
    // The first section (its questions are optional checkboxes in dxready-sme 1.0.0).
    await capture(page, 'question');
    await axeCheck(page, 'question');

    // On to the next section page with radio buttons, as a respondent does.
    for (let i = 0; i < 3 && !(await page.locator('main input[type=radio]').count()); i += 1) {
      const before = page.url();
      await Promise.all([page.waitForURL((url) => url.href !== before), page.click('button[value=continue]')]);
    }
    const radioPath = new URL(page.url()).pathname;
    await capture(page, 'question-radio');
    await axeCheck(page, 'question-radio');
    await keyboardCheck(page, 'question-radio');
    await tapTargetCheck(page, 'question-radio');

    // Errors: continue with nothing chosen on a page of required questions.
    await open(radioPath);
    await page.click('button[value=continue]');
    await page.waitForLoadState('load');
    await errorCheck(page, 'question-errors');
    await capture(page, 'question-errors');
    await axeCheck(page, 'question-errors');

    // A result page, from a submission through the JSON API.
    const def = await (await fetch(`${base}/api/v1/questionnaires/${QID}`)).json();
    await open(await createResult(def));
    await capture(page, 'result');
    await axeCheck(page, 'result');

    // How it prints: A4 width with the print stylesheet (no header, footer or buttons).
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 794, height: 1123 });
    const printed = join(outDir, 'result-print.png');
    await page.screenshot({ path: printed, fullPage: true });
    console.log(`screenshot: ${printed}`);
    const shown = await page.evaluate(() =>
      ['.site-header', '.site-footer', '.no-print']
        .filter((sel) => [...document.querySelectorAll(sel)].some((el) => el.getClientRects().length)),
    );
    if (shown.length) fail(`result in print: ${shown.join(', ')} still shown`);
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize(WIDTHS[0]);

    // The same result in English.
    await open(`${new URL(page.url()).pathname}?lang=en`);
    await capture(page, 'result-en');
    await axeCheck(page, 'result-en');
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  if (problems.length) {
    console.log(`\n${problems.length} problem(s):`);
    for (const p of problems) console.log(`  - ${p}`);
    process.exit(1);
  }
  console.log('\nbrowser check passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
