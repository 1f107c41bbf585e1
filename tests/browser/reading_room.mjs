// End-to-end test of footnote's web page in a real Chromium (Debian's, headless), driven by
// playwright-core, against the real `footnote serve` on a random local port.
//
//   cargo build --release && (cd tests/browser && npm ci) && node tests/browser/reading_room.mjs
//
// tests/browser.rs runs it as part of `cargo test --release`. Environment:
//   FOOTNOTE_BIN          the binary (default target/release/footnote)
//   FOOTNOTE_MODELS_DIR   the models folder (default models/)
//   FOOTNOTE_LLM          a writing model to start the service with (tests/browser.rs passes a
//                         tiny random one), which adds the "write the answer" step
//   CHROMIUM              the browser (default /usr/bin/chromium)
//   SCREENSHOTS           where the screenshots go (default a new temporary folder; printed)
//   FOOTNOTE_WEB_FROM_DISK=1  serve the page's files from src/server/web/ instead of the binary's
//                         copy, for editing the page without rebuilding (never in CI)
// Exits 0 when every step passed, 1 with the failing step otherwise.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = process.env.FOOTNOTE_BIN || path.join(root, "target", "release", "footnote");
const shots = process.env.SCREENSHOTS || mkdtempSync(path.join(tmpdir(), "footnote-screens-"));
mkdirSync(shots, { recursive: true });
const API_KEY = "browser-test-key";
const CALL_QUESTION = "How long did the call between Biden and Putin last?";
const PAYLOAD_IMG = '<img src=x onerror="window.__pwned=1">';
const PAYLOAD_SCRIPT = "<script>window.__pwned=1</script>";
const STEP_TIMEOUT = 60_000;

let step = "starting";
const started = Date.now();
const log = (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

/** Starts `footnote serve` on a fresh store; resolves with its base URL once /readyz is 200. */
async function startServer(data) {
  const args = ["serve", "--addr", "127.0.0.1:0", "--data", data, "--api-key", API_KEY];
  if (process.env.FOOTNOTE_LLM) args.push("--llm", process.env.FOOTNOTE_LLM);
  const env = { ...process.env, RUST_LOG: "footnote=info,warn" };
  if (!env.FOOTNOTE_MODELS_DIR) env.FOOTNOTE_MODELS_DIR = path.join(root, "models");
  const child = spawn(bin, args, { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
  const lines = [];
  const base = await new Promise((resolve, reject) => {
    let pending = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        const m = line.match(/listening on (http:\/\/\S+)/);
        if (m) resolve(m[1]);
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`footnote serve exited (${code}):\n${lines.join("\n")}`)));
  });
  return { child, base, lines };
}

async function waitReady(base) {
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      const r = await fetch(base + "/readyz");
      if (r.status === 200) return r.json();
    } catch (_) {
      // Not answering yet.
    }
    if (Date.now() > deadline) throw new Error("not ready after 10 minutes");
    await new Promise((r) => setTimeout(r, 100));
  }
}

let shotNumber = 0;
async function shot(page, name, fullPage = true) {
  shotNumber += 1;
  const file = path.join(shots, `${String(shotNumber).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  log(`screenshot ${file}`);
}

async function run() {
  const data = mkdtempSync(path.join(tmpdir(), "footnote-browser-data-"));
  const server = await startServer(data);
  let browser;
  const problems = [];
  try {
    log(`service at ${server.base}`);

    step = "the page and its headers";
    const pageResponse = await fetch(server.base + "/");
    assert.equal(pageResponse.status, 200);
    assert.match(pageResponse.headers.get("content-type"), /^text\/html/);
    const csp = pageResponse.headers.get("content-security-policy") || "";
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    for (const [asset, type] of [["/app.js", /^text\/javascript/], ["/app.css", /^text\/css/]]) {
      const r = await fetch(server.base + asset);
      assert.equal(r.status, 200, asset);
      assert.match(r.headers.get("content-type"), type, asset);
    }

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox"],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    if (process.env.FOOTNOTE_WEB_FROM_DISK === "1") {
      const web = path.join(root, "src", "server", "web");
      const files = { "/": ["index.html", "text/html"], "/app.js": ["app.js", "text/javascript"], "/app.css": ["app.css", "text/css"] };
      await context.route(
        (url) => url.origin === server.base && url.pathname in files,
        async (route) => {
          const response = await route.fetch();
          const [file, type] = files[new URL(route.request().url()).pathname];
          await route.fulfill({ response, body: readFileSync(path.join(web, file), "utf8"), contentType: type });
        },
      );
    }
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.on("pageerror", (e) => problems.push(`uncaught error in the page: ${e.message}`));
    page.on("console", (m) => {
      // Failed requests are the page's to show (and the steps check that it does); anything
      // else, a refused script or style (the Content-Security-Policy) included, is a failure.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
        problems.push(`console error: ${m.text()}`);
      }
    });
    page.on("dialog", (dialog) => dialog.accept());

    step = "the page opens while the service starts, then says ready";
    await page.goto(server.base + "/");
    const readiness = await waitReady(server.base);
    await page.locator("#ready").filter({ hasText: "ready: 5 documents" }).waitFor();
    await page.locator("#health").filter({ hasText: "service up" }).waitFor();
    assert.equal(await page.locator("#write-options").isVisible(), Boolean(readiness.writer));

    step = "ask: a cited answer, a chip opens the paragraph highlighted";
    await page.fill("#question", CALL_QUESTION);
    await page.press("#question", "Enter");
    const first = page.locator("#ask-result ol.answer > li").first();
    await first.waitFor();
    const sentence = (await first.locator(".sentence").textContent()).trim();
    assert.match(sentence, /50 minutes/, "the answer gives the call's length");
    assert.ok(await page.locator("#ask-result .also .chip").count(), "corroborating paragraphs are listed");
    const chip = first.locator(".chip").first();
    const cited = { doc: await chip.getAttribute("data-doc"), paragraph: await chip.getAttribute("data-paragraph") };
    await chip.click();
    const highlighted = page.locator("#reader-paragraphs li.cited");
    await highlighted.waitFor();
    assert.equal(await page.locator("#reader-paragraphs li.cited").count(), 1);
    assert.equal(await highlighted.getAttribute("data-n"), cited.paragraph);
    assert.equal((await highlighted.locator(".pno").textContent()).trim(), "¶" + cited.paragraph);
    assert.ok((await highlighted.locator(".ptext").textContent()).includes(sentence), "the cited paragraph holds the sentence");
    assert.match(await page.locator("#reader-id").textContent(), new RegExp(cited.doc));
    assert.ok(await highlighted.isVisible());
    await page.waitForFunction(() => {
      const p = document.querySelector("#reader-paragraphs li.cited").getBoundingClientRect();
      return p.top >= 0 && p.bottom <= window.innerHeight;
    });
    const numbers = await page.locator("#reader-paragraphs .pno").allTextContents();
    assert.deepEqual(numbers.slice(0, 3), ["¶1", "¶2", "¶3"], "paragraph numbers are visible");
    await shot(page, "ask-cited-paragraph");
    // The README's picture (docs/web-page.png is a copy): the window only, small.
    await page.setViewportSize({ width: 1024, height: 600 });
    await page.evaluate(() => {
      window.scrollTo(0, 0);
      const reader = document.getElementById("reader");
      const cited = reader.querySelector("li.cited");
      reader.scrollTop = cited.offsetTop - reader.clientHeight / 3;
    });
    await shot(page, "readme", false);
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, "ask-on-a-phone");
    await page.setViewportSize({ width: 1280, height: 860 });

    step = "keyboard: Escape closes the article and focus returns to the chip";
    assert.equal(await page.evaluate(() => document.activeElement.dataset.n), cited.paragraph);
    await page.keyboard.press("Escape");
    assert.ok(await page.locator("#reader").isHidden());
    assert.equal(await page.evaluate(() => document.activeElement.dataset.doc), cited.doc);

    step = "an abstention shows related reading";
    await page.fill("#question", "What is the capital of France?");
    await page.press("#question", "Enter");
    await page.locator("#ask-result .abstain").waitFor();
    assert.ok(await page.locator("#ask-result .related .chip").count(), "related reading is listed");

    step = "summarize two documents, with chips (the tab chosen with the arrow keys)";
    await page.focus("#tab-ask");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.getAttribute("#tab-summarize", "aria-selected"), "true");
    assert.ok(await page.locator("#panel-summarize").isVisible());
    await page.locator("#sum-docs input").first().waitFor();
    const boxes = page.locator("#sum-docs input");
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.fill("#sum-length", "3");
    await page.click("#sum-submit");
    await page.locator("#sum-result ol.answer > li .chip").first().waitFor();
    assert.ok((await page.locator("#sum-result ol.answer > li").count()) <= 3);
    await shot(page, "summarize");

    step = "add a document through the page (the API key is asked for once)";
    await page.click("#tab-documents");
    await page.locator("#doc-list li").first().waitFor();
    assert.equal(await page.locator("#doc-list li").count(), 5);
    await page.fill("#add-id", "harbour-ferry");
    await page.fill("#add-title", "Ferry terminal opens in Kestrel Bay");
    await page.fill(
      "#add-text",
      "The harbour town of Kestrel Bay opened a new ferry terminal on Monday, the council said.\n\n" +
        "Residents said the ferry to Gull Island now runs every 25 minutes, and the mayor promised 40 new jobs.\n\n" +
        "The terminal cost 12 million euros and took three years to build.",
    );
    await page.click("#add-submit");
    await page.locator("#key-form").waitFor();
    await page.click("#key-cancel");
    await page.locator("#add-error").filter({ hasText: "unauthorized" }).waitFor();
    await page.click("#add-submit");
    await page.locator("#key-input").waitFor();
    await page.fill("#key-input", API_KEY);
    await page.press("#key-input", "Enter");
    await page.locator("#add-result").filter({ hasText: "Added harbour-ferry (3 paragraphs)" }).waitFor();
    assert.ok(await page.locator("#add-error").isHidden(), "the error went once the key was given");
    await page.fill("#doc-search", "kestrel");
    await page.press("#doc-search", "Enter");
    await page.locator("#docs-count").filter({ hasText: "of 1 matching" }).waitFor();
    assert.equal(await page.locator('#doc-list li[data-id="harbour-ferry"]').count(), 1);
    await shot(page, "document-added");

    step = "ask about the added document";
    await page.click("#tab-ask");
    await page.fill("#question", "How often does the ferry to Gull Island run?");
    await page.press("#question", "Enter");
    await page.locator('#ask-result ol.answer .chip[data-doc="harbour-ferry"]').first().waitFor();
    assert.match(await page.locator("#ask-result ol.answer").textContent(), /every 25 minutes/);
    await shot(page, "ask-added-document");

    step = "delete the added document (the key is not asked again)";
    await page.click("#tab-documents");
    await page.locator('#doc-list li[data-id="harbour-ferry"]').waitFor();
    await page.locator('#doc-list li[data-id="harbour-ferry"] button', { hasText: "Delete" }).click();
    await page.locator("#add-result").filter({ hasText: "Deleted harbour-ferry" }).waitFor();
    assert.ok(await page.locator("#key-form").isHidden());
    await page.locator("#docs-count").filter({ hasText: "No documents matching" }).waitFor();
    assert.equal((await fetch(server.base + "/v1/documents/harbour-ferry")).status, 404);

    step = "add documents by uploading a .jsonl file and a .txt file";
    const records = [
      { id: "upload-one", title: "Library hours", text: "The city library now opens at 8 a.m. on weekdays.\n\nIt closes at 9 p.m." },
      { id: "upload-two", text: "The bridge on Mill Road reopened on Friday after six weeks of repairs." },
    ];
    await page.setInputFiles("#add-file", {
      name: "two.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from(records.map((r) => JSON.stringify(r)).join("\n") + "\n"),
    });
    await page.click("#add-submit");
    await page.locator("#add-result").filter({ hasText: "Added upload-one (2 paragraphs). Added upload-two (1 paragraph)." }).waitFor();
    await page.setInputFiles("#add-file", {
      name: "upload-three.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("The ferry union called off its strike on Sunday.\n\nServices resume on Monday."),
    });
    await page.click("#add-submit");
    await page.locator("#add-result").filter({ hasText: "Added upload-three (2 paragraphs)." }).waitFor();
    await page.locator('#doc-list li[data-id="upload-three"]').waitFor();

    step = "verify a draft with one wrong figure and one wrong paragraph";
    await page.click("#tab-verify");
    await page.fill(
      "#draft",
      "Biden and Putin spoke for 70 minutes. [002_4612034cd8f006a6 ¶2]\n\n" +
        "The call, which came at Putin's request, lasted for 50 minutes. [002_4612034cd8f006a6 ¶5]\n\n" +
        "The call, which came at Putin's request, lasted for 50 minutes. [001_49e84201299b6d56 ¶3]",
    );
    await page.click("#verify-submit");
    const verdicts = page.locator("#verify-result ol.answer > li");
    await verdicts.first().waitFor();
    assert.equal(await verdicts.count(), 3);
    const figure = verdicts.nth(0);
    assert.match(await figure.getAttribute("class"), /verdict-unsupported/);
    assert.match(await figure.locator(".tag").textContent(), /not supported/);
    assert.match(
      await figure.locator(".reasons").textContent(),
      /"70 minutes" is not stated \(the paragraph says "50 minutes"\)/,
    );
    const misplaced = verdicts.nth(1);
    assert.match(await misplaced.getAttribute("class"), /verdict-unsupported/);
    assert.match(await verdicts.nth(2).getAttribute("class"), /verdict-supported/);
    const suggestion = misplaced.locator(".suggestions .chip").first();
    assert.equal(await suggestion.getAttribute("data-doc"), "001_49e84201299b6d56");
    assert.equal(await suggestion.getAttribute("data-paragraph"), "3");
    await suggestion.click();
    await page.locator('#reader-paragraphs li.cited[data-n="3"]').waitFor();
    assert.match(
      await page.locator("#reader-paragraphs li.cited .ptext").textContent(),
      /lasted for 50 minutes/,
      "the suggested paragraph states the sentence",
    );
    await shot(page, "verify");

    step = "markup in an article is shown as text and never runs";
    await page.click("#tab-documents");
    await page.fill("#add-id", "markup-test");
    await page.fill("#add-title", "Title " + PAYLOAD_SCRIPT);
    await page.fill(
      "#add-text",
      "The council wrote " + PAYLOAD_IMG + " on its page on Monday.\n\nThen it added " + PAYLOAD_SCRIPT + " to the same page on Tuesday.",
    );
    await page.click("#add-submit");
    await page.locator("#add-result").filter({ hasText: "Added markup-test" }).waitFor();
    await page.locator('#doc-list li[data-id="markup-test"] button', { hasText: "Open" }).click();
    await page.locator("#reader-paragraphs li").nth(1).waitFor();
    const shown = await page.locator("#reader-paragraphs").textContent();
    assert.ok(shown.includes(PAYLOAD_IMG) && shown.includes(PAYLOAD_SCRIPT), "the markup is shown as text");
    assert.ok((await page.locator("#reader-title").textContent()).includes(PAYLOAD_SCRIPT));
    assert.equal(await page.locator("#reader img, #doc-list img, #reader script").count(), 0);
    await page.click("#tab-verify");
    await page.fill("#draft", "The council wrote " + PAYLOAD_IMG + " on its page on Monday. [markup-test ¶1]");
    await page.click("#verify-submit");
    await page.locator("#verify-result li").first().waitFor();
    assert.ok((await page.locator("#verify-result").textContent()).includes(PAYLOAD_IMG));
    assert.equal(await page.locator("#verify-result img").count(), 0);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => typeof window.__pwned), "undefined", "no injected script ran");
    await shot(page, "markup-as-text");

    step = "an API error is shown inline with its message";
    await page.fill("#draft", "   ");
    await page.click("#verify-submit");
    await page.locator("#verify-error").filter({ hasText: "invalid_input" }).waitFor();

    if (readiness.writer) {
      step = "write the answer: streamed, checked sentence by sentence";
      await page.click("#tab-ask");
      await page.check("#ask-generate");
      await page.fill("#question", CALL_QUESTION);
      await page.press("#question", "Enter");
      await page.locator("#ask-result ol.answer > li, #ask-result .abstain").first().waitFor({ timeout: 300_000 });
      await page.locator("#ask-submit:not([disabled])").waitFor({ timeout: 300_000 });
      assert.ok(await page.locator("#ask-error").isHidden(), await page.locator("#ask-error").textContent());
      // The draft streamed in pieces is kept, folded, and marked unchecked.
      const draft = page.locator("#ask-result details.draft-as-written");
      assert.equal(await draft.count(), 1, "the streamed draft is kept");
      assert.match(await draft.locator("summary").textContent(), /unchecked/);
      const dropped = page.locator("#ask-result button[aria-controls^='dropped-']");
      if (await dropped.count()) {
        const list = page.locator("#ask-result ul[id^='dropped-']");
        assert.ok(await list.isHidden(), "dropped sentences are hidden until asked for");
        await dropped.click();
        assert.ok(await list.isVisible());
        const tags = await list.locator(".tag").allTextContents();
        assert.ok(tags.length && tags.every((t) => t === "not verified"), "dropped sentences are marked");
      }
      // Only sentences the verifier accepted look checked.
      for (const item of await page.locator("#ask-result ol.answer > li").all()) {
        const tag = item.locator(".tag");
        if (await tag.count()) assert.equal(await tag.first().textContent(), "verified");
      }
      await shot(page, "written-answer");
    }

    step = "nothing went wrong in the page";
    assert.deepEqual(problems, []);
    log(`all steps passed; screenshots in ${shots}`);
  } finally {
    if (browser) await browser.close();
    server.child.kill("SIGTERM");
    rmSync(data, { recursive: true, force: true });
  }
}

run().then(
  () => process.exit(0),
  (error) => {
    console.error(`FAILED at step "${step}": ${error.stack || error}`);
    console.error(`screenshots so far in ${shots}`);
    process.exit(1);
  },
);
