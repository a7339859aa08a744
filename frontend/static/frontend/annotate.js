// The annotator's page: keyboard first, the next item already loaded, nothing lost.
//
// The page holds the items the server leased to this annotator (the queue). A key press
// shows the next held item at once, from memory, and the answer goes to the server in the
// background through an outbox: one request at a time, in order, each with an idempotency key,
// retried on a lost connection or a 5xx, so a label is saved exactly once. Every answer's
// response carries the refreshed queue and status line. Undo and the history strip reopen
// answers; a 409 (a stale tab, the budget) is shown, never silently dropped.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("annotate-config").textContent);
  const $ = (id) => document.getElementById(id);
  const storageKey = "tweezer-outbox-" + config.project;

  const state = {
    queue: [],        // held items not yet answered here, next first
    current: null,    // {item, previous}: previous is the saved answer when reopened from history
    history: [],      // this session's answers, newest last: {item, answer, status, error}
    outbox: [],       // actions not yet acknowledged: {kind, item, body, key}
    inFlight: false,
    retryDelay: 0,
    shownAt: 0,
    status: null,
    sessionCount: 0,
    sessionStart: null,
    showModel: false,
    view: { scale: 0, x: 0, y: 0, brightness: 1, contrast: 1 },  // scale 0 = fit
    images: new Map(),  // item id -> preloaded Image
    pressSeq: 0,
  };
  window.tweezerLatencies = [];  // keypress -> next item shown, ms (read by the benchmark)

  // --- Helpers -------------------------------------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrf() { return document.querySelector('meta[name="csrf-token"]').content; }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function answerText(answer) {
    if (!answer) return "";
    if (answer.kind === "label") return answer.label;
    return answer.reason === "bad" ? "skipped: bad item" : answer.reason === "note" ? "skipped: " + answer.note : "skipped: unsure";
  }
  function say(text) { $("live").textContent = text; }
  let messageTimer = 0;
  function showMessage(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = "message " + (kind || "error");
    box.hidden = !text;
    clearTimeout(messageTimer);
    if (kind === "info") messageTimer = setTimeout(() => { box.hidden = true; }, 4000);
  }
  function flash(text) {
    const panel = $("item-panel");
    panel.classList.remove("flash-warn");
    void panel.offsetWidth;  // restart the animation
    panel.classList.add("flash-warn");
    showMessage(text, "info");
  }

  // --- Rendering -----------------------------------------------------------------------------
  function preload(items) {
    items.forEach((item) => {
      if (!item.image_url || state.images.has(item.id)) return;
      const img = new Image();
      img.src = item.image_url;
      img.alt = "Item " + item.id;
      img.decode().catch(() => {});
      state.images.set(item.id, img);
    });
  }

  function renderText(text) {
    const box = el("div", { class: "text-item", tabindex: "0" });
    text.split(/\n\s*\n/).forEach((para) => box.appendChild(el("p", {}, para)));
    return box;
  }

  function show(entry) {
    state.current = entry;
    state.shownAt = Infinity;  // no key counts until the item is on screen
    const stage = $("item-stage");
    const itemBox = document.querySelector("#item-panel .item");
    stage.replaceChildren();
    $("image-tools").hidden = true;
    if (!entry) {
      itemBox.dataset.itemId = "";
      const budget = state.status && state.status.budget_reached;
      stage.appendChild(el("p", { class: "done" }, budget
        ? "The label budget is spent. An admin can raise it on the dashboard; no more items until then."
        : "Nothing left to label in this project for you. Thank you!"));
      $("reopened").hidden = true;
      renderModelView();
      highlight();
      say(budget ? "Label budget reached." : "Nothing left to label.");
      return;
    }
    const item = entry.item;
    itemBox.dataset.itemId = String(item.id);
    if (item.image_url) {
      preload([item]);
      const img = state.images.get(item.id);
      img.className = "item-image";
      img.draggable = false;
      const viewport = el("div", { class: "viewport" });
      viewport.appendChild(img);
      stage.appendChild(viewport);
      $("image-tools").hidden = false;
      applyView();
    } else {
      stage.appendChild(renderText(item.text));
    }
    const reopened = $("reopened");
    reopened.hidden = !entry.previous;
    reopened.textContent = entry.previous ? "Changing your answer “" + answerText(entry.previous) + "”: press a key to replace it." : "";
    renderModelView();
    highlight();
    say("Item " + item.id + (entry.previous ? ", reopened" : "") + ". " + (item.image_url ? "Image." : "Text."));
    $("item-panel").focus({ preventScroll: true });
    itemBox.dataset.shown = "";
    const shown = () => { state.shownAt = performance.now(); itemBox.dataset.shown = "1"; };
    const img = item.image_url ? state.images.get(item.id) : null;
    (img && !img.complete ? img.decode().catch(() => {}) : Promise.resolve()).then(() => requestAnimationFrame(shown));
    preload(state.queue);
  }

  function highlight() {
    const entry = state.current;
    const model = entry && entry.item.model;
    const predicted = state.showModel && model && model.top_classes.length ? model.top_classes[0][0] : null;
    document.querySelectorAll("#choices .choice").forEach((button) => {
      button.classList.toggle("predicted", button.dataset.label === predicted);
      button.classList.toggle("answered", !!(entry && entry.previous && entry.previous.label === button.dataset.label));
      button.disabled = !entry;
    });
  }

  function renderModelView() {
    const box = $("model-view");
    box.hidden = !state.showModel;
    document.querySelector('[data-action="model"]').setAttribute("aria-pressed", String(state.showModel));
    if (!state.showModel) return;
    box.replaceChildren();
    const model = state.current && state.current.item.model;
    if (!model) { box.appendChild(el("p", {}, "No item.")); return; }
    if (model.top_classes.length) {
      const [name, p] = model.top_classes[0];
      box.appendChild(el("p", { class: "prediction" }, "Model v" + model.version + " predicts " + name + " (" + Math.round(p * 100) + "%)"));
    }
    box.appendChild(el("p", {}, model.why));
  }

  function renderStatus() {
    const s = state.status;
    if (!s) return;
    $("progress-project").textContent = s.labels_spent + " / " + s.label_budget + " labels" + (s.budget_reached ? " — budget reached" : "");
    const minutes = state.sessionStart ? (performance.now() - state.sessionStart) / 60000 : 0;
    const rate = minutes > 0.05 ? (state.sessionCount / minutes).toFixed(1) : "–";
    const skipped = Object.entries(s.skips || {}).map(([reason, n]) => n + " " + (reason === "bad" ? "bad" : reason)).join(", ");
    $("progress-mine").textContent = "You: " + s.mine_today + " today, " + state.sessionCount + " this session, " + rate + "/min" +
      (skipped ? "; skipped " + skipped : "");
    let model = s.serving
      ? "v" + s.serving.version + " picks items" + (s.serving.accuracy != null ? " (accuracy " + Math.round(s.serving.accuracy * 100) + "% on " + s.serving.n_eval + " held-out)" : "")
      : "No model yet: cold start";
    if (s.retrain) model += "; retrain v" + s.retrain.version + " " + (s.retrain.state === "running" ? "running" : "queued");
    $("model-status").textContent = model;
  }

  function renderHistory() {
    const list = $("history");
    list.replaceChildren();
    state.history.slice(-10).reverse().forEach((h) => {
      const li = el("li", { class: "history-" + h.status });
      const button = el("button", { type: "button", title: h.error || "Reopen item " + h.item.id + " to change the answer" });
      if (h.item.image_url) button.appendChild(el("img", { src: h.item.image_url, alt: "" }));
      else button.appendChild(el("span", { class: "snippet" }, h.item.text.slice(0, 40)));
      button.appendChild(el("span", { class: "answer" }, answerText(h.answer) + (h.status === "saving" ? " …" : h.status === "failed" ? " ✗" : "")));
      button.addEventListener("click", () => reopen(h));
      li.appendChild(button);
      list.appendChild(li);
    });
    const pending = state.outbox.length;
    $("saving").textContent = pending ? "Saving " + pending + "…" : state.sessionStart || state.history.length ? "All saved" : "";
  }

  // --- Queue and server responses ------------------------------------------------------------
  function takeQueue(queue) {
    if (!queue) return;
    state.status = queue.status;
    const answered = new Set(state.outbox.map((a) => a.item.id));
    const currentId = state.current && state.current.item.id;
    state.queue = queue.items.filter((item) => !answered.has(item.id) && item.id !== currentId);
    preload(state.queue);
    renderStatus();
    if (queue.message) showMessage(queue.message, "error");
    if (queue.status.budget_reached && state.current && !state.current.previous) {
      show(null);  // at the budget no new item is answered; reopened answers can still be changed
      return;
    }
    if (!state.current) show(state.queue.length ? { item: state.queue.shift(), previous: null } : null);
  }

  function saveOutbox() {
    sessionStorage.setItem(storageKey, JSON.stringify({ outbox: state.outbox, history: state.history, item: state.current && state.current.item.id }));
  }

  function toLogin() {
    saveOutbox();
    const back = location.pathname + "?item=" + (state.current ? state.current.item.id : "");
    location.assign(config.urls.login + "?next=" + encodeURIComponent(back));
  }

  async function pump() {
    if (state.inFlight || !state.outbox.length) { renderHistory(); return; }
    const action = state.outbox[0];
    state.inFlight = true;
    renderHistory();
    let response = null, body = null;
    try {
      response = await fetch(action.url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
        body: JSON.stringify(action.body),
      });
      body = await response.json().catch(() => null);
    } catch (err) {
      response = null;
    }
    state.inFlight = false;
    const entry = state.history.find((h) => h.key === action.key);
    if (response && response.ok) {
      state.outbox.shift();
      state.retryDelay = 0;
      if (entry) { entry.status = "saved"; entry.answer = body.answer || entry.answer; }
      if (action.kind !== "undo") { state.sessionCount += 1; }
      if (!$("message").classList.contains("error") || $("message").dataset.retrying) { $("message").hidden = true; delete $("message").dataset.retrying; }
      takeQueue(body.queue);
      saveOutbox();
      pump();
      return;
    }
    const authLost = response && (response.status === 401 || (response.status === 403 && /CSRF|credentials|authenticat/i.test((body && body.message) || "")));
    if (authLost) { toLogin(); return; }
    if (response && response.status >= 400 && response.status < 500) {
      state.outbox.shift();  // refused for good: say why, keep going with the rest
      const message = (body && body.message) || "The server refused this answer (HTTP " + response.status + ").";
      if (entry) { entry.status = "failed"; entry.error = message; }
      showMessage(message, "error");
      refreshQueue();
      saveOutbox();
      pump();
      return;
    }
    // A 5xx or a lost connection: try again with the same idempotency key, so it is saved once.
    state.retryDelay = Math.min(Math.max(state.retryDelay * 2, 1000), 15000);
    const why = response ? "The server answered " + response.status : "The connection was lost";
    showMessage(why + ". Your answer for item " + action.item.id + " is kept and will be sent again in " + Math.round(state.retryDelay / 1000) + " s.", "error");
    $("message").dataset.retrying = "1";
    saveOutbox();
    setTimeout(pump, state.retryDelay);
  }

  async function refreshQueue() {
    try {
      const response = await fetch(config.urls.queue, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 401) { toLogin(); return; }
      const body = await response.json();
      if (response.status === 409 && body.extra && body.extra.status) {
        takeQueue({ items: [], status: body.extra.status, message: body.message });
      } else if (response.ok) {
        takeQueue(body);
      }
    } catch (err) { /* the next poll tries again */ }
  }

  // --- Answers ------------------------------------------------------------------------------
  function tooSoon() {
    return performance.now() - state.shownAt < config.min_visible_ms;
  }

  function answer(kind, payload) {
    const entry = state.current;
    if (!entry) return;
    if (tooSoon()) { flash("Too fast: look at the item first. That key was ignored."); return; }
    const key = uuid();
    const body = Object.assign({ item: entry.item.id, idempotency_key: key, previous: entry.previous }, payload);
    if (kind === "label") body.duration_ms = Math.round(performance.now() - state.shownAt);
    const shownAnswer = kind === "label" ? { kind: "label", label: payload.label } : { kind: "skip", reason: payload.reason, note: payload.note || "" };
    state.history = state.history.filter((h) => h.item.id !== entry.item.id);
    state.history.push({ item: entry.item, answer: shownAnswer, status: "saving", key: key });
    state.outbox.push({ kind: kind, item: entry.item, key: key, url: kind === "label" ? config.urls.label : config.urls.skip, body: body });
    if (!state.sessionStart) state.sessionStart = performance.now();
    advance();
    saveOutbox();
    pump();
  }

  function advance() {
    const seq = ++state.pressSeq;
    performance.mark("press-" + seq);
    show(state.queue.length ? { item: state.queue.shift(), previous: null } : null);
    if (!state.current) refreshQueue();
    const img = state.current && state.current.item.image_url ? state.images.get(state.current.item.id) : null;
    (img && !img.complete ? img.decode().catch(() => {}) : Promise.resolve()).then(() => requestAnimationFrame(() => {
      const m = performance.measure("next-item-" + seq, "press-" + seq);
      window.tweezerLatencies.push(m.duration);
    }));
  }

  function undo() {
    const last = state.history[state.history.length - 1];
    if (!last) { flash("Nothing to undo in this session."); return; }
    state.history.pop();
    const pendingIndex = state.outbox.findIndex((a) => a.key === last.key);
    if (pendingIndex > 0 || (pendingIndex === 0 && !state.inFlight)) {
      state.outbox.splice(pendingIndex, 1);  // never sent: nothing to withdraw on the server
    } else {
      state.outbox.push({ kind: "undo", item: last.item, key: uuid(), url: config.urls.undo, body: { item: last.item.id } });
    }
    if (state.current && !state.current.previous) state.queue.unshift(state.current.item);
    show({ item: last.item, previous: null });
    showMessage("Undone: item " + last.item.id + " (" + answerText(last.answer) + ") is back. Answer it again.", "info");
    saveOutbox();
    pump();
  }

  function reopen(h) {
    if (h.status === "saving") { flash("Still saving that answer; reopen it in a moment."); return; }
    if (h.status === "failed") { showMessage(h.error, "error"); return; }
    if (state.current && !state.current.previous) state.queue.unshift(state.current.item);
    show({ item: h.item, previous: h.answer });
  }

  // --- Image view -----------------------------------------------------------------------------
  function applyView() {
    const img = document.querySelector("#item-stage .item-image");
    if (!img) return;
    const v = state.view;
    const viewport = img.parentElement;
    const natural = img.naturalWidth || 28;
    const fit = Math.max(0.1, Math.min(viewport.clientWidth / natural, viewport.clientHeight / (img.naturalHeight || natural)));
    const scale = v.scale === 0 ? fit : v.scale;
    img.style.width = natural * scale + "px";
    img.style.transform = "translate(" + v.x + "px," + v.y + "px)";
    img.style.filter = "brightness(" + v.brightness + ") contrast(" + v.contrast + ")";
    img.classList.toggle("pixel-exact", v.scale === 1 / (window.devicePixelRatio || 1));
  }
  function zoom(factor) {
    const img = document.querySelector("#item-stage .item-image");
    if (!img) return;
    const current = state.view.scale || img.clientWidth / (img.naturalWidth || 28);
    state.view.scale = Math.min(256, Math.max(0.05, current * factor));
    applyView();
  }
  const viewActions = {
    zoom_in: () => zoom(1.25),
    zoom_out: () => zoom(0.8),
    fit: () => { Object.assign(state.view, { scale: 0, x: 0, y: 0 }); applyView(); },
    actual: () => { Object.assign(state.view, { scale: 1 / (window.devicePixelRatio || 1), x: 0, y: 0 }); applyView(); },
    brighter: () => { state.view.brightness = Math.min(4, state.view.brightness + 0.1); applyView(); },
    darker: () => { state.view.brightness = Math.max(0.1, state.view.brightness - 0.1); applyView(); },
    more_contrast: () => { state.view.contrast = Math.min(4, state.view.contrast + 0.1); applyView(); },
    less_contrast: () => { state.view.contrast = Math.max(0.1, state.view.contrast - 0.1); applyView(); },
    reset: () => { state.view = { scale: 0, x: 0, y: 0, brightness: 1, contrast: 1 }; applyView(); },
  };
  const stage = $("item-stage");
  stage.addEventListener("wheel", (event) => {
    if (!document.querySelector("#item-stage .item-image")) return;
    event.preventDefault();
    zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15);
  }, { passive: false });
  let drag = null;
  stage.addEventListener("pointerdown", (event) => {
    if (!event.target.classList.contains("item-image")) return;
    drag = { x: event.clientX - state.view.x, y: event.clientY - state.view.y };
    stage.setPointerCapture(event.pointerId);
  });
  stage.addEventListener("pointermove", (event) => {
    if (!drag) return;
    state.view.x = event.clientX - drag.x;
    state.view.y = event.clientY - drag.y;
    applyView();
  });
  stage.addEventListener("pointerup", () => { drag = null; });

  // --- Panels and keys ----------------------------------------------------------------------
  function toggleGuidelines() {
    const panel = $("guidelines");
    panel.hidden = !panel.hidden;
    document.querySelector('[data-action="guidelines"]').setAttribute("aria-pressed", String(!panel.hidden));
  }
  function toggleHelp() {
    const dialog = $("help");
    if (dialog.open) dialog.close(); else dialog.showModal();
  }
  function askNote() {
    if (!state.current) return;
    if (tooSoon()) { flash("Too fast: look at the item first. That key was ignored."); return; }
    $("note-form").hidden = false;
    $("note-text").value = "";
    $("note-text").focus();
  }
  $("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const note = $("note-text").value.trim();
    if (!note) { $("note-text").focus(); return; }
    $("note-form").hidden = true;
    state.shownAt = -Infinity;  // the item has been on screen while the note was written
    answer("skip", { reason: "note", note: note });
  });
  $("help").addEventListener("close", () => $("item-panel").focus({ preventScroll: true }));

  const actions = Object.assign({
    undo: undo,
    skip_unsure: () => answer("skip", { reason: "unsure" }),
    skip_bad: () => answer("skip", { reason: "bad" }),
    skip_note: askNote,
    note_cancel: () => { $("note-form").hidden = true; $("item-panel").focus(); },
    model: () => { state.showModel = !state.showModel; renderModelView(); highlight(); },
    guidelines: toggleGuidelines,
    help: toggleHelp,
  }, viewActions);

  const keyToAction = {};
  Object.entries(config.actions).forEach(([name, keys]) => keys.forEach((k) => { keyToAction[k] = name; }));
  const keyToClass = {};
  config.classes.forEach((c) => { if (c.key) keyToClass[c.key] = c.name; });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || $("help").open && event.key !== "?") return;
    if (event.repeat) { event.preventDefault(); return; }  // a held key never labels twice
    if (event.metaKey || event.altKey) return;
    const name = event.ctrlKey ? keyToAction["Ctrl+" + event.key.toLowerCase()] : keyToAction[event.key];
    if (event.ctrlKey && !name) return;
    if (name) { event.preventDefault(); actions[name](); return; }
    const label = keyToClass[event.key];
    if (label) { event.preventDefault(); answer("label", { label: label }); }
  });
  document.getElementById("choices").addEventListener("click", (event) => {
    const button = event.target.closest(".choice");
    if (button) answer("label", { label: button.dataset.label });
  });
  document.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("click", () => actions[button.dataset.action]());
  });
  window.addEventListener("resize", applyView);
  // Keep the leases and the status line fresh while the page is open.
  setInterval(() => { if (!document.hidden && !state.outbox.length) refreshQueue(); }, 30000);

  // --- Start --------------------------------------------------------------------------------
  const saved = JSON.parse(sessionStorage.getItem(storageKey) || "null");
  if (saved) {
    state.outbox = saved.outbox || [];
    state.history = saved.history || [];
  }
  takeQueue(config.queue);
  const openId = config.open_item || (saved && saved.item);
  const held = state.queue.findIndex((item) => item.id === openId);
  if (held >= 0 && state.current && state.current.item.id !== openId) {
    state.queue.unshift(state.current.item);
    show({ item: state.queue.splice(held + 1, 1)[0], previous: null });
  }
  renderHistory();
  pump();
})();
