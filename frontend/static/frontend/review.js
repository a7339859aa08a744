// The reviewer's page: keyboard first. A class's key decides the item on screen, Enter accepts the
// suggested class (the annotators' most frequent answer), Shift+S leaves the item for later.
// The next item shows at once; decisions are posted one at a time, in order, and a failed one puts
// its item back on screen with the server's message.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("review-config").textContent);
  const $ = (id) => document.getElementById(id);
  const keyToClass = {};
  config.classes.forEach((c) => { if (c.key) keyToClass[c.key] = c.name; });
  const state = { queue: [], current: null, total: 0, outbox: [], sending: false, saves: 0, skipped: new Set(),
                  decided: new Set() };  // decided here: a queue fetched before the save lists them still

  function csrf() { return document.querySelector('meta[name="csrf-token"]').content; }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function showMessage(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = "message " + (kind || "error");
    box.hidden = !text;
  }

  function take(data, stale) {
    if (!stale) state.total = data.total;  // a count read while a decision was being saved may miss it
    const seen = new Set([...state.decided, ...state.queue.map((row) => row.item.id)]);
    if (state.current) seen.add(state.current.item.id);
    data.items.forEach((row) => { if (!seen.has(row.item.id)) state.queue.push(row); });
  }

  function render() {
    const row = state.current;
    const holder = document.querySelector(".item");
    const stage = $("item-stage");
    const answers = $("answers");
    stage.replaceChildren();
    answers.replaceChildren();
    document.querySelectorAll(".choice").forEach((b) => b.classList.remove("suggested"));
    $("review-count").textContent = state.total + " item" + (state.total === 1 ? "" : "s") + " in review";
    if (!row) {
      holder.dataset.itemId = "";
      stage.append(el("p", { class: "hint" }, "Nothing left to review. New disagreements show up here as annotators label."));
      return;
    }
    holder.dataset.itemId = String(row.item.id);
    if (row.item.image_url) {
      stage.append(el("img", { src: row.item.image_url, alt: "Item " + row.item.id, class: "review-image" }));
    } else {
      stage.append(el("blockquote", { class: "item-text" }, row.item.text));
    }
    row.answers.forEach((a) => answers.append(el("li", {}, a.annotator + ": " + a.label)));
    answers.append(el("li", { class: "hint" }, row.suggested ? "Suggested: " + row.suggested + " (Enter)"
                                                             : "No majority: pick a class."));
    if (row.suggested) {
      const button = document.querySelector('.choice[data-label="' + CSS.escape(row.suggested) + '"]');
      if (button) button.classList.add("suggested");
    }
    $("live").textContent = "Item " + row.item.id + ": " + row.answers.map((a) => a.label).join(", ");
    $("item-panel").focus();
  }

  function next() {
    const index = state.queue.findIndex((row) => !state.skipped.has(row.item.id));
    state.current = index >= 0 ? state.queue.splice(index, 1)[0] : state.queue.shift() || null;
    if (state.current) state.skipped.delete(state.current.item.id);
    render();
    if (state.queue.length < 3) refresh();
  }

  async function refresh() {
    const saves = state.saves;
    const busy = () => state.sending || state.outbox.length > 0;
    const stale = busy();
    const response = await fetch(config.urls.queue, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    take(await response.json(), stale || busy() || state.saves !== saves);
    if (!state.current) next(); else render();
  }

  function decide(label) {
    const row = state.current;
    if (!row) return;
    state.decided.add(row.item.id);
    state.outbox.push({ row: row, label: label, note: $("note").value });
    $("note").value = "";
    next();
    pump();
  }

  // Decisions leave one at a time, in order; a key pressed meanwhile is queued, never dropped.
  async function pump() {
    if (state.sending || !state.outbox.length) return;
    state.sending = true;
    const { row, label, note } = state.outbox.shift();
    try {
      const response = await fetch(config.urls.decide, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
        body: JSON.stringify({ item: row.item.id, label: label, note: note }),
      });
      if (response.ok) {
        state.total = Math.max(0, state.total - 1);
        state.saves += 1;
        showMessage("Item " + row.item.id + " decided: " + label + ".", "info");
      } else {
        const body = await response.json().catch(() => ({ message: "The server answered " + response.status + "." }));
        showMessage(body.message);
        if (response.status !== 409) putBack(row);  // a 409: decided elsewhere or no longer in review
      }
    } catch (error) {
      showMessage("Item " + row.item.id + " was not saved: the connection failed. Decide it again.");
      putBack(row);
    } finally {
      state.sending = false;
      render();
      pump();
    }
  }

  function putBack(row) {
    state.decided.delete(row.item.id);
    if (state.current) state.queue.unshift(state.current);
    state.current = row;
  }

  function skip() {
    if (!state.current) return;
    state.skipped.add(state.current.item.id);
    state.queue.push(state.current);
    next();
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) {
      if (event.key === "Escape") $("item-panel").focus();
      return;
    }
    if (event.repeat || event.metaKey || event.altKey || event.ctrlKey) return;
    if (event.key === "Enter" && !event.target.closest("button")) {
      event.preventDefault();
      if (state.current && state.current.suggested) decide(state.current.suggested);
      else showMessage("No majority to accept here: press a class's key.", "info");
      return;
    }
    if (event.key === "S") { event.preventDefault(); skip(); return; }
    const label = keyToClass[event.key];
    if (label) { event.preventDefault(); decide(label); }
  });
  $("choices").addEventListener("click", (event) => {
    const button = event.target.closest(".choice");
    if (button) decide(button.dataset.label);
  });
  document.querySelector('[data-action="accept"]').addEventListener("click", () => {
    if (state.current && state.current.suggested) decide(state.current.suggested);
  });
  document.querySelector('[data-action="skip"]').addEventListener("click", skip);

  take(config.queue);
  next();
})();
