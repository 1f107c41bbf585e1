// footnote's reading room. Plain JavaScript, no dependencies. Every text that comes from an
// article, a model or the API is inserted with textContent or a text node, never as HTML.
"use strict";

// ---------- small helpers ----------

const $ = (id) => document.getElementById(id);

/** Makes an element; `children` are nodes or strings (inserted as text). */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

/** An error from the API (or the network), with the message the API gave. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function showError(box, error) {
  const box_ = typeof box === "string" ? $(box) : box;
  if (!error) {
    box_.hidden = true;
    clear(box_);
    return;
  }
  const code = error.code ? ` (${error.status || ""} ${error.code})` : "";
  clear(box_).append(el("strong", { text: "Error" + code + ": " }), error.message || String(error));
  box_.hidden = false;
}

async function errorOf(response) {
  let code = "http_" + response.status;
  let message = response.statusText || "request failed";
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch (_) {
    // Not JSON: keep the status line.
  }
  if (response.status === 503 && code === "not_ready") {
    message += " (the page keeps working; try again when the status above says ready)";
  }
  return new ApiError(response.status, code, message);
}

// ---------- API key (kept for this tab only) ----------

const KEY_STORAGE = "footnote-api-key";
let pendingKey = null;

function apiKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch (_) {
    return null;
  }
}

/** Shows the key form and resolves with the key typed, or null when cancelled. */
function askForKey() {
  if (pendingKey) return pendingKey.promise;
  const form = $("key-form");
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  pendingKey = { promise, resolve, returnTo: document.activeElement };
  form.hidden = false;
  $("key-input").value = "";
  $("key-input").focus();
  return promise;
}

function answerKey(key) {
  $("key-form").hidden = true;
  if (key) {
    try {
      sessionStorage.setItem(KEY_STORAGE, key);
    } catch (_) {
      // Storage refused (private mode): the key is still used for this request.
    }
  }
  if (pendingKey) {
    const { resolve, returnTo } = pendingKey;
    pendingKey = null;
    if (returnTo && document.contains(returnTo)) returnTo.focus();
    resolve(key || null);
  }
}

// ---------- requests ----------

/**
 * Sends a request, with the API key when one was given. Writes need it whenever the service has
 * one, reads too when it runs with --protect-reads: a 401 asks for it and tries again.
 */
async function request(method, path, body, { raw = false, key = apiKey() } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key) headers["authorization"] = "Bearer " + key;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "network", "the service did not answer (" + e.message + ")");
  }
  if (response.status === 401) {
    const typed = await askForKey();
    if (!typed) throw await errorOf(response);
    return request(method, path, body, { raw, key: typed });
  }
  if (!response.ok) throw await errorOf(response);
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

const api = {
  get: (path) => request("GET", path),
  post: (path, body, options) => request("POST", path, body, options),
  del: (path) => request("DELETE", path),
};

/** Runs `work` with its button disabled and its errors shown in `box`; never rejects. */
async function guarded(button, box, work) {
  showError(box, null);
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (error) {
    showError(box, error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---------- state: health and readiness ----------

let writer = null;
let isReady = false;

async function pollState() {
  const health = $("health");
  const ready = $("ready");
  try {
    const r = await fetch("/healthz");
    health.textContent = r.ok ? "service up" : "service unhealthy (" + r.status + ")";
    health.className = "badge " + (r.ok ? "good" : "bad");
  } catch (_) {
    health.textContent = "service unreachable";
    health.className = "badge bad";
  }
  try {
    const r = await fetch("/readyz");
    if (r.ok) {
      const body = await r.json();
      const docs = body.documents === 1 ? "1 document" : body.documents + " documents";
      ready.textContent = "ready: " + docs + ", model " + body.model;
      ready.className = "badge good";
      setWriter(body.writer || null);
      if (!isReady) {
        isReady = true;
        loadDocuments();
      }
    } else {
      const error = await errorOf(r);
      ready.textContent =
        r.status === 503 && error.code === "not_ready"
          ? "starting: loading the model and the documents…"
          : "not ready: " + error.message;
      ready.className = "badge wait";
      isReady = false;
    }
  } catch (_) {
    ready.textContent = "not ready: no answer";
    ready.className = "badge bad";
    isReady = false;
  }
  setTimeout(pollState, isReady ? 15000 : 1500);
}

function setWriter(name) {
  writer = name;
  $("write-options").hidden = !name;
  $("sum-write-options").hidden = !name;
  $("writer-name").textContent = name || "";
}

// ---------- tabs ----------

const TABS = ["ask", "summarize", "verify", "documents"];

function selectTab(name, focus) {
  for (const tab of TABS) {
    const selected = tab === name;
    const button = $("tab-" + tab);
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $("panel-" + tab).hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (name === "documents") loadDocuments();
  if (name === "summarize") loadSummarizeChoices();
}

function setUpTabs() {
  for (const [i, tab] of TABS.entries()) {
    const button = $("tab-" + tab);
    button.addEventListener("click", () => selectTab(tab, false));
    button.addEventListener("keydown", (event) => {
      let next = null;
      if (event.key === "ArrowRight") next = TABS[(i + 1) % TABS.length];
      if (event.key === "ArrowLeft") next = TABS[(i + TABS.length - 1) % TABS.length];
      if (event.key === "Home") next = TABS[0];
      if (event.key === "End") next = TABS[TABS.length - 1];
      if (next) {
        event.preventDefault();
        selectTab(next, true);
      }
    });
  }
}

// ---------- citations and the reader ----------

const label = (c) => "[" + c.doc + " ¶" + c.paragraph + "]";
const paragraphs = (n) => (n === 1 ? "1 paragraph" : n + " paragraphs");

/** A button that opens the cited paragraph beside the text. */
function chip(citation, small) {
  return el("button", {
    type: "button",
    class: small ? "chip small" : "chip",
    text: label(citation),
    title: "Open paragraph " + citation.paragraph + " of " + citation.doc,
    "aria-label": "Open " + citation.doc + ", paragraph " + citation.paragraph,
    dataset: { doc: citation.doc, paragraph: String(citation.paragraph) },
    onclick: () => openDocument(citation.doc, citation.paragraph),
  });
}

const documentCache = new Map();
/** The control that opened the reader, where focus returns when it is closed. */
let opener = null;

async function openDocument(id, paragraph) {
  const reader = $("reader");
  if (!reader.contains(document.activeElement)) opener = document.activeElement;
  reader.hidden = false;
  showError("reader-error", null);
  $("reader-title").textContent = "Loading " + id + "…";
  $("reader-id").textContent = "";
  const list = clear($("reader-paragraphs"));
  let doc = documentCache.get(id);
  if (!doc) {
    try {
      doc = await api.get("/v1/documents/" + encodeURIComponent(id));
      documentCache.set(id, doc);
    } catch (error) {
      $("reader-title").textContent = id;
      showError("reader-error", error);
      return;
    }
  }
  $("reader-title").textContent = doc.title || doc.id;
  $("reader-id").textContent =
    doc.id + " · " + paragraphs(doc.paragraphs.length) + ", numbered as citations count them";
  let target = null;
  for (const p of doc.paragraphs) {
    const cited = p.number === paragraph;
    const item = el(
      "li",
      {
        id: "p-" + p.number,
        class: [cited ? "cited" : "", p.is_content ? "" : "boilerplate"].join(" ").trim() || null,
        dataset: { n: String(p.number) },
        "aria-current": cited ? "true" : null,
        tabindex: cited ? "-1" : null,
      },
      el("span", { class: "pno", text: "¶" + p.number }),
      el("span", { class: "ptext", text: p.text }),
    );
    if (cited) target = item;
    list.append(item);
  }
  if (target) {
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  } else {
    reader.scrollTop = 0;
    $("reader-title").focus();
  }
  if (window.matchMedia("(max-width: 60rem)").matches) {
    (target || reader).scrollIntoView({ block: "center" });
  }
}

// ---------- answers and summaries ----------

function verdictTag(verified) {
  return verified
    ? el("span", { class: "tag yes", text: "verified" })
    : el("span", { class: "tag no", text: "not verified" });
}

/** One answer or summary sentence with its citation chips and corroborating paragraphs. */
function sentenceItem(sentence, written) {
  const item = el("li", { class: sentence.verified === false ? "verified-no" : null });
  if (written) item.append(verdictTag(sentence.verified !== false));
  item.append(el("span", { class: "sentence", text: sentence.text }));
  for (const c of sentence.citations || []) item.append(chip(c));
  const also = sentence.corroborated_by || [];
  if (also.length) {
    item.append(el("div", { class: "also" }, "also reported in ", also.map((c) => chip(c, true))));
  }
  return item;
}

function disagreementsBlock(disagreements) {
  if (!disagreements || !disagreements.length) return null;
  return el(
    "div",
    {},
    el("h3", { text: "Sources differ" }),
    disagreements.map((d) =>
      el(
        "div",
        { class: "differ" },
        el("div", {}, "About ", el("strong", { text: d.about }), ":"),
        el(
          "ul",
          {},
          d.statements.map((s) => el("li", {}, el("span", { class: "sentence", text: s.text }), chip(s.citation))),
        ),
      ),
    ),
  );
}

function droppedBlock(dropped) {
  if (!dropped || !dropped.length) return null;
  const list = el(
    "ul",
    { class: "answer", hidden: true, id: "dropped-" + Math.random().toString(36).slice(2) },
    dropped.map((d) => {
      const item = sentenceItem({ ...d, verified: false }, true);
      item.append(el("ul", { class: "reasons" }, (d.reasons || []).map((r) => el("li", { text: r }))));
      return item;
    }),
  );
  const n = dropped.length;
  const noun = n === 1 ? "sentence" : "sentences";
  const toggle = el("button", {
    type: "button",
    class: "secondary",
    "aria-expanded": "false",
    "aria-controls": list.id,
    text: "Show " + n + " written " + noun + " the verifier did not accept",
  });
  toggle.addEventListener("click", () => {
    list.hidden = !list.hidden;
    toggle.setAttribute("aria-expanded", String(!list.hidden));
    toggle.textContent =
      (list.hidden ? "Show " : "Hide ") + n + " written " + noun + " the verifier did not accept";
  });
  return el("div", {}, el("h3", { text: "Dropped" }), toggle, list);
}

function modeLine(result) {
  if (!result.mode || result.mode === "abstained") return null;
  if (result.mode === "generated") {
    const model = result.generation ? " by " + result.generation.model : "";
    return el("p", { class: "muted", text: "Written" + model + "; each sentence shown passed the verifier." });
  }
  if (result.generation) {
    return el("p", {
      class: "muted",
      text: "Copied: no written sentence passed the verifier, so the copied text is shown.",
    });
  }
  return null;
}

function renderAnswer(box, answer) {
  clear(box);
  if (answer.abstained) {
    box.append(el("p", { class: "abstain", text: "The articles do not say. The closest passages are listed as related reading." }));
    if (answer.related && answer.related.length) {
      box.append(
        el("h3", { text: "Related reading" }),
        el(
          "ul",
          { class: "related" },
          answer.related.map((r) => el("li", {}, chip(r), " ", el("span", { text: r.text }))),
        ),
      );
    }
    return;
  }
  const written = answer.mode === "generated";
  box.append(
    el("ol", { class: "answer", "aria-label": "Answer" }, answer.sentences.map((s) => sentenceItem(s, written))),
  );
  const mode = modeLine(answer);
  if (mode) box.append(mode);
  if (typeof answer.confidence === "number") {
    box.append(el("p", { class: "muted", text: "Confidence " + answer.confidence.toFixed(2) }));
  }
  const differ = disagreementsBlock(answer.disagreements);
  if (differ) box.append(differ);
  const dropped = droppedBlock(answer.dropped);
  if (dropped) box.append(dropped);
}

function renderSummary(box, summary) {
  clear(box);
  const summaries = Array.isArray(summary) ? summary : [summary];
  for (const s of summaries) {
    const written = s.mode === "generated";
    box.append(
      el("h3", { text: "Summary of " + s.documents.join(", ") }),
      el("ol", { class: "answer" }, s.sentences.map((x) => sentenceItem(x, written))),
    );
    const mode = modeLine(s);
    if (mode) box.append(mode);
    const differ = disagreementsBlock(s.disagreements);
    if (differ) box.append(differ);
    const dropped = droppedBlock(s.dropped);
    if (dropped) box.append(dropped);
  }
}

// ---------- streamed writing (server-sent events over fetch) ----------

/** Reads a text/event-stream response, calling `onEvent(name, data)` per event. */
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (!data.length) continue;
      const text = data.join("\n");
      if (text === "[DONE]") return;
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch (_) {
        throw new ApiError(0, "bad_stream", "the stream sent something that is not JSON");
      }
      onEvent(name, parsed);
    }
    if (done) return;
  }
}

/** Posts a request with "generate" and "stream", showing the draft and verdicts as they come. */
async function streamWritten(path, body, box, render) {
  clear(box);
  const draft = el("p", { class: "draft", "aria-label": "Draft, not yet checked" });
  const checked = el("ol", { class: "answer", "aria-label": "Checked sentences" });
  const status = el("p", { class: "muted", text: "Writing… sentences are checked as they end." });
  let droppedCount = 0;
  const droppedNote = el("p", { class: "muted" });
  box.append(el("h3", { text: "Draft (not checked yet)" }), draft, el("h3", { text: "Checked" }), checked, droppedNote, status);
  const response = await request("POST", path, { ...body, generate: true, stream: true }, { raw: true });
  if (!(response.headers.get("content-type") || "").includes("text/event-stream")) {
    render(box, await response.json());
    return;
  }
  let final = null;
  await readEvents(response, (name, data) => {
    if (name === "piece") {
      draft.append(document.createTextNode(data.text || ""));
    } else if (name === "verdict") {
      if (data.verified) {
        checked.append(sentenceItem({ text: data.text, citations: data.citations, verified: true }, true));
      } else {
        droppedCount += 1;
        droppedNote.textContent =
          droppedCount + (droppedCount === 1 ? " sentence" : " sentences") +
          " not accepted by the verifier (shown on request below when done)";
      }
    } else if (name === "final") {
      final = data;
    } else if (name === "error") {
      const e = data.error || {};
      throw new ApiError(0, e.code || "error", e.message || "writing failed");
    }
  });
  if (!final) throw new ApiError(0, "incomplete", "the stream ended before the final answer");
  const written = draft.textContent;
  render(box, final);
  if (written.trim()) {
    box.append(
      el(
        "details",
        { class: "draft-as-written" },
        el("summary", { text: "The model's draft, as written (unchecked)" }),
        el("p", { class: "draft", text: written }),
      ),
    );
  }
}

// ---------- ask ----------

function setUpAsk() {
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!question) return;
    const box = $("ask-result");
    guarded($("ask-submit"), "ask-error", async () => {
      if (writer && $("ask-generate").checked) {
        await streamWritten("/v1/ask", { question }, box, renderAnswer);
      } else {
        clear(box).append(el("p", { class: "muted", text: "Looking…" }));
        renderAnswer(box, await api.post("/v1/ask", { question }));
      }
    }).then((result) => {
      if (result === undefined && !$("ask-error").hidden) clear(box);
    });
  });
}

// ---------- summarize ----------

async function allDocuments() {
  const docs = [];
  let offset = 0;
  for (;;) {
    const page = await api.get("/v1/documents?limit=1000&offset=" + offset);
    docs.push(...page.documents);
    if (page.next_offset === undefined || page.next_offset === null) return docs;
    offset = page.next_offset;
  }
}

async function loadSummarizeChoices() {
  const box = $("sum-docs");
  await guarded(null, "sum-error", async () => {
    const chosen = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    const docs = await allDocuments();
    clear(box);
    for (const d of docs) {
      box.append(
        el(
          "label",
          {},
          el("input", { type: "checkbox", value: d.id, checked: chosen.has(d.id) }),
          " " + (d.title || d.id),
          d.title ? el("span", { class: "muted", text: " (" + d.id + ")" }) : null,
        ),
      );
    }
  });
}

function setUpSummarize() {
  $("sum-docs").addEventListener("change", () => {
    document.querySelector('input[name="sum-scope"][value="some"]').checked = true;
  });
  $("summarize-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = $("sum-result");
    guarded($("sum-submit"), "sum-error", async () => {
      const body = {};
      const n = Number.parseInt($("sum-length").value, 10);
      if (!Number.isFinite(n) || n < 1) throw new ApiError(0, "invalid_input", "the length must be a whole number from 1");
      body[$("sum-unit").value] = n;
      if (document.querySelector('input[name="sum-scope"]:checked').value === "some") {
        body.documents = [...$("sum-docs").querySelectorAll("input:checked")].map((i) => i.value);
        if (!body.documents.length) throw new ApiError(0, "invalid_input", "pick at least one document, or choose all");
      }
      if (writer && $("sum-generate").checked) {
        await streamWritten("/v1/summarize", body, box, renderSummary);
      } else {
        clear(box).append(el("p", { class: "muted", text: "Summarizing…" }));
        renderSummary(box, await api.post("/v1/summarize", body));
      }
    }).then(() => {
      if (!$("sum-error").hidden) clear(box);
    });
  });
}

// ---------- verify ----------

const VERDICTS = {
  supported: ["yes", "supported"],
  unsupported: ["no", "not supported"],
  uncited: ["wait", "no citation"],
  invalid_citation: ["no", "invalid citation"],
};

function renderReport(box, report) {
  clear(box);
  box.append(
    el("p", {
      class: "summary-line",
      text: report.supported + " of " + report.claims + " claims supported" +
        (report.skipped ? "; " + report.skipped + " lines skipped (headings, questions, source lists)" : ""),
    }),
  );
  const list = el("ol", { class: "answer", "aria-label": "Sentences checked" });
  for (const s of report.sentences) {
    const [kind, word] = VERDICTS[s.verdict] || ["wait", String(s.verdict)];
    const item = el(
      "li",
      { class: "verdict-" + s.verdict + (kind === "yes" ? "" : " verified-no") },
      el("span", { class: "tag " + kind, text: word }),
      el("span", { class: "sentence", text: s.text }),
      (s.citations || []).map((c) => chip(c)),
    );
    const reasons = (s.reasons || []).filter((r) => !(s.verdict === "supported" && r === "verbatim"));
    if (reasons.length) item.append(el("ul", { class: "reasons" }, reasons.map((r) => el("li", { text: r }))));
    if (s.verdict !== "supported" && !(s.suggestions && s.suggestions.length)) {
      item.append(el("div", { class: "also", text: "No stored paragraph supports it as written." }));
    }
    if (s.suggestions && s.suggestions.length) {
      item.append(
        el(
          "div",
          { class: "also suggestions" },
          "Best supported by ",
          s.suggestions.map((g) => [chip(g, true), el("span", { class: "muted", text: "(" + g.score.toFixed(2) + ") " })]),
        ),
      );
    }
    list.append(item);
  }
  box.append(list);
}

function setUpVerify() {
  $("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = $("verify-result");
    guarded($("verify-submit"), "verify-error", async () => {
      clear(box).append(el("p", { class: "muted", text: "Checking…" }));
      renderReport(box, await api.post("/v1/verify", { text: $("draft").value }));
    }).then(() => {
      if (!$("verify-error").hidden) clear(box);
    });
  });
}

// ---------- documents ----------

const PAGE = 20;
let listOffset = 0;
let listQuery = "";

async function loadDocuments() {
  if ($("panel-documents").hidden) return;
  await guarded(null, "docs-error", async () => {
    const params = new URLSearchParams({ offset: String(listOffset), limit: String(PAGE) });
    if (listQuery) params.set("q", listQuery);
    const page = await api.get("/v1/documents?" + params);
    const list = clear($("doc-list"));
    for (const d of page.documents) {
      const del = el("button", { type: "button", class: "secondary", text: "Delete", "aria-label": "Delete " + d.id });
      del.addEventListener("click", () => deleteDocument(d.id, del));
      list.append(
        el(
          "li",
          { dataset: { id: d.id } },
          el("span", { class: "doc-title" }, el("span", { text: d.title || d.id }), el("br"), el("span", { class: "doc-id", text: d.id + " · " + paragraphs(d.paragraphs) })),
          el("button", { type: "button", text: "Open", "aria-label": "Open " + d.id, onclick: () => openDocument(d.id, null) }),
          del,
        ),
      );
    }
    const shown = page.documents.length;
    const what = listQuery ? " matching “" + listQuery + "”" : " stored";
    $("docs-count").textContent = shown
      ? "Documents " + (page.offset + 1) + "–" + (page.offset + shown) + " of " + page.total + what
      : "No documents" + what + ".";
    $("docs-prev").disabled = page.offset === 0;
    $("docs-next").disabled = page.next_offset === undefined || page.next_offset === null;
  });
}

async function deleteDocument(id, button) {
  if (!window.confirm("Delete " + id + "? Answers will no longer cite it.")) return;
  await guarded(button, "docs-error", async () => {
    await api.del("/v1/documents/" + encodeURIComponent(id));
    documentCache.delete(id);
    $("add-result").hidden = false;
    $("add-result").textContent = "Deleted " + id + ".";
    await loadDocuments();
    pollReadyCount();
  });
}

/** Refreshes the document count in the status line. */
async function pollReadyCount() {
  try {
    const r = await fetch("/readyz");
    if (r.ok) {
      const body = await r.json();
      $("ready").textContent = "ready: " + (body.documents === 1 ? "1 document" : body.documents + " documents") + ", model " + body.model;
    }
  } catch (_) {
    // The next poll says it.
  }
}

const ID_PATTERN = /^[^\s\/\[\]¶]{1,200}$/;

/** The documents to post: the pasted text, or the uploaded file's. */
async function documentsToAdd() {
  const id = $("add-id").value.trim();
  const title = $("add-title").value.trim();
  const file = $("add-file").files[0];
  const record = (text, fallbackId) => {
    const doc = { text };
    const chosen = id || fallbackId;
    if (chosen) doc.id = chosen;
    if (title) doc.title = title;
    return doc;
  };
  if (file) {
    const text = await file.text();
    if (file.name.toLowerCase().endsWith(".jsonl")) {
      const docs = [];
      for (const [i, line] of text.split(/\r?\n/).entries()) {
        if (!line.trim()) continue;
        try {
          docs.push(JSON.parse(line));
        } catch (e) {
          throw new ApiError(0, "invalid_input", file.name + " line " + (i + 1) + " is not JSON: " + e.message);
        }
      }
      if (!docs.length) throw new ApiError(0, "invalid_input", file.name + " has no records");
      return docs;
    }
    const stem = file.name.replace(/\.txt$/i, "");
    return [record(text, ID_PATTERN.test(stem) ? stem : null)];
  }
  const text = $("add-text").value;
  if (!text.trim()) throw new ApiError(0, "invalid_input", "paste a text or choose a file");
  return [record(text, null)];
}

function setUpDocuments() {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    listQuery = $("doc-search").value.trim();
    listOffset = 0;
    loadDocuments();
  });
  $("docs-prev").addEventListener("click", () => {
    listOffset = Math.max(0, listOffset - PAGE);
    loadDocuments();
  });
  $("docs-next").addEventListener("click", () => {
    listOffset += PAGE;
    loadDocuments();
  });
  $("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const result = $("add-result");
    result.hidden = true;
    guarded($("add-submit"), "add-error", async () => {
      const docs = await documentsToAdd();
      const body = docs.length === 1 ? docs[0] : docs;
      const stored = await api.post("/v1/documents", body);
      const all = Array.isArray(stored) ? stored : [stored];
      result.textContent = all
        .map((s) => (s.created ? "Added " : "Already stored as ") + s.id + " (" + paragraphs(s.paragraphs) + ").")
        .join(" ");
      result.hidden = false;
      for (const s of all) documentCache.delete(s.id);
      $("add-form").reset();
      // Show what was added: one document by its id, several from the first page.
      listQuery = all.length === 1 ? all[0].id : "";
      $("doc-search").value = listQuery;
      listOffset = 0;
      await loadDocuments();
      pollReadyCount();
    });
  });
}

// ---------- start ----------

function start() {
  setUpTabs();
  setUpAsk();
  setUpSummarize();
  setUpVerify();
  setUpDocuments();
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    answerKey($("key-input").value.trim());
  });
  $("key-cancel").addEventListener("click", () => answerKey(null));
  $("reader-close").addEventListener("click", () => {
    $("reader").hidden = true;
    if (opener && document.contains(opener)) opener.focus();
    else $("main").focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!$("key-form").hidden) answerKey(null);
    else if (!$("reader").hidden && $("reader").contains(document.activeElement)) $("reader-close").click();
  });
  // Nothing fails silently: a promise no handler caught is shown where the reader is looking.
  window.addEventListener("unhandledrejection", (event) => {
    const panel = TABS.find((t) => !$("panel-" + t).hidden) || "ask";
    const box = { ask: "ask-error", summarize: "sum-error", verify: "verify-error", documents: "docs-error" }[panel];
    showError(box, event.reason instanceof Error ? event.reason : new Error(String(event.reason)));
  });
  pollState();
  $("question").focus();
}

start();
