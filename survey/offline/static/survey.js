/* The offline survey: renders the questionnaire from the inlined spec, queues answers in localStorage,
   and lets a facilitator with the export code download them as one signed file. Nothing here makes a request. */
"use strict";
(function () {
  const SPEC = JSON.parse(document.getElementById("spec").textContent);
  const Q = SPEC.questionnaire;
  const BASE = "coherence-offline:" + SPEC.site;
  const QUEUE_KEY = BASE + ":queue";
  const DRAFT_KEY = BASE + ":draft";
  const main = document.getElementById("main");
  const STEPS = ["intro", "profile"].concat(Q.dimensions.map((d) => "dim:" + d.id), Q.value_at_stake ? ["value"] : [],
    Q.targets ? ["targets"] : [], Q.meta_perception ? ["meta"] : [], ["review"]);
  const enc = new TextEncoder();

  // ------------------------------------------------------------------ storage
  function read(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }
  function queue() {
    const q = read(QUEUE_KEY, []);
    return Array.isArray(q) ? q : [];
  }
  function saveDraft() {
    try {
      localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    } catch (e) { /* the answers are still on screen; the submit reports a storage failure */ }
  }
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {}); // ask the browser not to evict the queue under storage pressure
  }

  // ------------------------------------------------------------------ language and words
  function browserLanguage() {
    const tags = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""]);
    for (const tag of tags) {
      const base = String(tag).toLowerCase().split("-")[0];
      if (Q.languages.indexOf(base) >= 0) return base;
    }
    return Q.languages[0];
  }
  function freshDraft() {
    return { step: 0, lang: browserLanguage(), attributes: {}, answers: {}, comments: {}, losses: [], targets: {}, predictions: {}, last: Date.now() };
  }
  let draft = read(DRAFT_KEY, null);
  if (!draft || typeof draft !== "object" || typeof draft.step !== "number" || Date.now() - (draft.last || 0) > SPEC.timing.idle_s * 1000) {
    draft = freshDraft(); // a draft left idle longer than the kiosk allows belongs to someone who walked away
  }
  if (Q.languages.indexOf(draft.lang) < 0) draft.lang = browserLanguage();
  let thanksUntil = 0;
  let facilitator = null; // {recordKey, exported: [uuids], file} while the facilitator panel is unlocked

  function tx(obj) {
    if (obj === null || obj === undefined) return "";
    return obj[draft.lang] || obj[Q.languages[0]] || "";
  }
  function t(key, values) {
    const words = SPEC.texts[draft.lang] || SPEC.texts[Q.languages[0]];
    return String(words[key] || key).replace(/\{(\w+)\}/g, (m, name) => (values && name in values ? String(values[name]) : m));
  }

  // ------------------------------------------------------------------ DOM helpers (text only: instrument texts are never parsed as markup)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }
  function button(label, onclick, primary) {
    return el("button", { type: "button", class: primary ? "primary" : null, onclick: onclick, text: label });
  }
  function uuid4() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  // ------------------------------------------------------------------ header: language switch and queue count
  function renderHeader() {
    document.documentElement.lang = draft.lang;
    document.title = tx(Q.title);
    const nav = document.getElementById("langs");
    nav.setAttribute("aria-label", t("language"));
    nav.replaceChildren();
    if (Q.languages.length > 1) {
      for (const lang of Q.languages) {
        nav.append(el("button", {
          type: "button", lang: lang, "aria-pressed": String(lang === draft.lang),
          text: Q.language_names[lang] || lang,
          onclick: () => { draft.lang = lang; saveDraft(); render(false); },
        }));
      }
    }
    const n = queue().length;
    document.getElementById("queue").textContent = n ? t("queued", { n: n }) : "";
  }

  function heading(level, text) {
    return el("h" + level, { tabindex: "-1", text: text });
  }
  function go(step) {
    draft.step = step;
    draft.last = Date.now();
    saveDraft();
    render(true);
  }
  function navButtons(onBack, onNext, nextLabel) {
    return el("div", { class: "nav" }, button(t("back"), onBack), button(nextLabel || t("next"), onNext, true));
  }
  function problemSlot() {
    return el("p", { class: "error", role: "alert", id: "problem" });
  }
  function showProblem(text) {
    document.getElementById("problem").textContent = text;
  }
  function progress() {
    const total = STEPS.length - 1;
    const label = t("section_of", { i: draft.step, n: total });
    return el("div", {}, el("progress", { max: String(total), value: String(draft.step), "aria-label": label }), el("p", { class: "step", text: label }));
  }

  // ------------------------------------------------------------------ the steps
  function intro() {
    const n = queue().length;
    const parts = [heading(1, tx(Q.title))];
    if (Q.intro) parts.push(el("p", { text: tx(Q.intro) }));
    parts.push(el("p", { class: "muted", text: t("minutes", { m: Q.minutes, s: Q.dimensions.length }) }));
    parts.push(el("div", { class: "nav single" }, button(t("start"), () => { facilitator = null; Object.assign(draft, freshDraft(), { lang: draft.lang }); go(1); }, true)));
    if (n) parts.push(el("p", { class: "help", text: t("queued_help") }));
    parts.push(el("p", { class: "help", text: t("kiosk_note", { m: Math.round(SPEC.timing.idle_s / 60) }) }));
    parts.push(facilitatorSection());
    return parts;
  }

  function profile() {
    const parts = [progress(), heading(2, t("about_you")), el("p", { class: "muted", text: t("about_you_help", { k: SPEC.threshold }) })];
    for (const attr of Q.attributes) {
      const id = "attr_" + attr.id;
      const select = el("select", { id: id, required: attr.required, onchange: (e) => { draft.attributes[attr.id] = e.target.value; saveDraft(); } },
        el("option", { value: "", text: t("choose") }));
      for (const option of attr.options) {
        select.append(el("option", { value: option.id, text: tx(option.label), selected: draft.attributes[attr.id] === option.id }));
      }
      parts.push(el("label", { class: "field", for: id, text: tx(attr.label) + (attr.required ? "" : " (" + t("optional") + ")") }), select);
    }
    parts.push(problemSlot());
    parts.push(navButtons(() => go(0), () => {
      const missing = Q.attributes.filter((a) => a.required && !draft.attributes[a.id]).map((a) => tx(a.label));
      if (missing.length) return showProblem(t("missing_attr", { name: missing.join(", ") }));
      go(2);
    }));
    return parts;
  }

  function choice(name, value, text, number, checked, onpick, extraClass) {
    const input = el("input", { type: "radio", name: name, value: String(value), checked: checked, onchange: onpick });
    return el("label", { class: "choice" + (extraClass ? " " + extraClass : "") }, input,
      number === null ? null : el("span", { class: "n", "aria-hidden": "true", text: String(number) }), el("span", { text: text }));
  }

  function ratingGroup(id, legend, current, onpick) {
    // One statement on the instrument's scale: a radio group named by its legend, each radio by its label.
    const labels = Q.scale.labels[draft.lang] || Q.scale.labels[Q.languages[0]];
    const legendId = id + "_legend";
    const box = el("div", { class: "choices" });
    const pick = (e) => { const v = e.target.value; onpick(v === "dk" ? "dk" : Number(v)); saveDraft(); };
    Q.scale.values.forEach((v, i) => box.append(choice(id, v, labels[i], v, current === v, pick)));
    if (Q.scale.dont_know) box.append(choice(id, "dk", tx(Q.scale.dont_know_label), null, current === "dk", pick, "dk"));
    return el("fieldset", { id: id, role: "radiogroup", "aria-labelledby": legendId }, el("legend", { id: legendId, text: legend }), box);
  }
  function askedAbout() {
    const meta = Q.meta_perception;
    return meta ? meta.about.filter((a) => a.id !== draft.attributes[meta.attribute]) : [];
  }
  function targetsStep() {
    const block = Q.targets;
    draft.targets = draft.targets || {};
    const parts = [progress(), heading(2, t("targets_title")), el("p", { class: "muted", text: tx(block.prompt) })];
    block.questions.forEach((q) => parts.push(ratingGroup("t_" + q.id, tx(q.text), draft.targets[q.id], (v) => { draft.targets[q.id] = v; })));
    parts.push(navButtons(() => go(draft.step - 1), () => go(draft.step + 1)));
    return parts;
  }
  function metaStep() {
    draft.predictions = draft.predictions || {};
    const parts = [progress(), heading(2, t("meta_title")), el("p", { class: "muted", text: tx(Q.meta_perception.prompt) })];
    for (const about of askedAbout()) {
      const mine = (draft.predictions[about.id] = draft.predictions[about.id] || {});
      parts.push(el("h3", { text: tx(about.label) }));
      about.questions.forEach((q) => parts.push(ratingGroup("p_" + about.id + "_" + q.id, tx(q.text), mine[q.id], (v) => { mine[q.id] = v; })));
    }
    parts.push(navButtons(() => go(draft.step - 1), () => go(draft.step + 1)));
    return parts;
  }
  function ratingCard(title, values, step) {
    const open = values.filter((v) => v === undefined || v === null).length;
    return el("div", { class: "card" }, el("div", {}, el("p", {}, el("strong", { text: title })),
      el("p", { text: t("rated", { a: values.length - open, o: open }) })),
      el("button", { type: "button", "aria-label": t("edit") + ": " + title, text: t("edit"), onclick: () => go(STEPS.indexOf(step)) }));
  }
  function scaleOrNull(v) {
    return v === undefined || v === "dk" ? null : v;
  }

  function dimension(dim) {
    const parts = [progress(), heading(2, tx(dim.label))];
    if (dim.description) parts.push(el("p", { class: "muted", text: tx(dim.description) }));
    parts.push(el("p", { class: "help", text: t("scale_legend") }));
    dim.items.forEach((item, index) => {
      parts.push(ratingGroup("q_" + item.id, (index + 1) + ". " + tx(item.text), draft.answers[item.id], (v) => { draft.answers[item.id] = v; }));
    });
    const cid = "comment_" + dim.id;
    parts.push(el("label", { class: "field", for: cid, text: dim.comment_prompt ? tx(dim.comment_prompt) : t("comment") }));
    parts.push(el("textarea", { id: cid, maxlength: "2000", "aria-describedby": cid + "_help",
      oninput: (e) => { draft.comments[dim.id] = e.target.value; saveDraft(); } }));
    parts[parts.length - 1].value = draft.comments[dim.id] || "";
    parts.push(el("p", { class: "help", id: cid + "_help", text: t("comment_help", { k: SPEC.comment_threshold }) }));
    parts.push(navButtons(() => go(draft.step - 1), () => go(draft.step + 1)));
    return parts;
  }

  function valueAtStake() {
    const vas = Q.value_at_stake;
    const box = el("div", { class: "choices" });
    for (const loss of vas.losses) {
      const input = el("input", { type: "checkbox", value: loss.id, checked: draft.losses.indexOf(loss.id) >= 0,
        onchange: (e) => {
          draft.losses = draft.losses.filter((x) => x !== loss.id);
          if (e.target.checked) draft.losses.push(loss.id);
          saveDraft();
        } });
      box.append(el("label", { class: "choice" }, input, el("span", { text: tx(loss.label) })));
    }
    return [progress(), heading(2, t("value_title")), el("fieldset", {}, el("legend", { text: tx(vas.prompt) }), box), problemSlot(),
      navButtons(() => go(draft.step - 1), () => {
        if (draft.losses.length > vas.max_choices) return showProblem(t("too_many", { n: vas.max_choices }));
        go(draft.step + 1);
      })];
  }

  function review() {
    const parts = [progress(), heading(2, t("review")), el("p", { class: "muted", text: t("review_help") })];
    Q.dimensions.forEach((dim) => {
      const values = dim.items.map((i) => draft.answers[i.id]);
      const dk = values.filter((v) => v === "dk").length;
      const open = dim.items.filter((i) => draft.answers[i.id] === undefined || draft.answers[i.id] === null);
      const text = el("div", {}, el("p", {}, el("strong", { text: tx(dim.label) })),
        el("p", { text: t("answered", { a: values.length - dk - open.length, d: dk, o: open.length }) }));
      if (open.length) text.append(el("p", { class: "help", text: t("open_items", { items: open.map((i) => i.id).join(", ") }) }));
      parts.push(el("div", { class: "card" }, text, el("button", {
        type: "button", "aria-label": t("edit") + ": " + tx(dim.label), text: t("edit"), onclick: () => go(STEPS.indexOf("dim:" + dim.id)),
      })));
    });
    if (Q.value_at_stake) {
      const names = Q.value_at_stake.losses.filter((l) => draft.losses.indexOf(l.id) >= 0).map((l) => tx(l.label));
      parts.push(el("div", { class: "card" }, el("div", {}, el("p", {}, el("strong", { text: t("value_title") })),
        el("p", { text: names.join(", ") || t("none_chosen") })),
        el("button", { type: "button", "aria-label": t("edit") + ": " + t("value_title"), text: t("edit"), onclick: () => go(STEPS.indexOf("value")) })));
    }
    if (Q.targets) parts.push(ratingCard(t("targets_title"), Q.targets.questions.map((q) => (draft.targets || {})[q.id]), "targets"));
    if (Q.meta_perception) {
      const values = [];
      for (const about of askedAbout()) for (const q of about.questions) values.push(((draft.predictions || {})[about.id] || {})[q.id]);
      parts.push(ratingCard(t("meta_title"), values, "meta"));
    }
    parts.push(problemSlot());
    parts.push(navButtons(() => go(draft.step - 1), submit, t("submit")));
    return parts;
  }

  function submit() {
    const answers = {};
    for (const dim of Q.dimensions) for (const item of dim.items) {
      const v = draft.answers[item.id];
      answers[item.id] = v === undefined ? null : v;
    }
    const comments = {};
    for (const [dim, text] of Object.entries(draft.comments)) if (text && text.trim()) comments[dim] = text.trim();
    const id = uuid4();
    // No name, e-mail, time or device identifier: only what the app itself would store for a response.
    const record = { uuid: id, campaign: SPEC.campaign, wave: SPEC.wave, instrument: SPEC.instrument, language: draft.lang,
      attributes: draft.attributes, answers: answers, comments: comments, losses: draft.losses };
    if (Q.targets) {
      record.targets = {};
      for (const q of Q.targets.questions) record.targets[q.id] = scaleOrNull((draft.targets || {})[q.id]);
    }
    if (Q.meta_perception) {
      record.predictions = {};
      for (const about of askedAbout()) {
        record.predictions[about.id] = {};
        for (const q of about.questions) record.predictions[about.id][q.id] = scaleOrNull(((draft.predictions || {})[about.id] || {})[q.id]);
      }
    }
    const q = queue();
    q.push({ uuid: id, record: canonical(record) });
    try {
      localStorage.setItem(QUEUE_KEY, JSON.stringify(q));
    } catch (e) {
      return showProblem(t("storage_failed"));
    }
    const lang = draft.lang;
    draft = freshDraft();
    draft.lang = lang;
    localStorage.removeItem(DRAFT_KEY); // the next respondent never sees these answers
    thanksUntil = Date.now() + SPEC.timing.thanks_s * 1000;
    render(true);
  }

  function thanks() {
    const left = Math.max(0, Math.ceil((thanksUntil - Date.now()) / 1000));
    return [el("div", { class: "thanks", role: "status" }, heading(2, t("thanks_title")), el("p", { text: t("saved_here", { k: SPEC.threshold }) }),
      el("p", { class: "muted", id: "thanks-left", text: t("back_to_start", { s: left }) })),
      el("div", { class: "nav single" }, button(t("new_survey"), restart, true))];
  }
  function restart() {
    thanksUntil = 0;
    draft = freshDraft();
    localStorage.removeItem(DRAFT_KEY);
    render(true);
  }

  // ------------------------------------------------------------------ the facilitator: export behind the code, clearing after a confirmed import
  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (x) => x.toString(16).padStart(2, "0")).join("");
  }
  function fromHex(text) {
    return new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));
  }
  async function hmacKey(raw) {
    return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }
  async function deriveKeys(code) {
    // PBKDF2-SHA256 (salt and iterations from the page), then HMAC(master, purpose): the same derivation as the importer.
    const base = await crypto.subtle.importKey("raw", enc.encode(code), "PBKDF2", false, ["deriveBits"]);
    const master = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: fromHex(SPEC.kdf.salt), iterations: SPEC.kdf.iterations }, base, 256);
    const masterKey = await hmacKey(master);
    const verifier = hex(await crypto.subtle.sign("HMAC", masterKey, enc.encode("coherence-scan/offline/verify")));
    const recordKey = await hmacKey(await crypto.subtle.sign("HMAC", masterKey, enc.encode("coherence-scan/offline/records")));
    return { verifier: verifier, recordKey: recordKey };
  }
  async function checkCode(code) {
    if (!window.crypto || !crypto.subtle) throw new Error("WebCrypto is not available: open the page from a file or over https");
    const keys = await deriveKeys(code);
    return keys.verifier === SPEC.kdf.verifier ? keys : null;
  }

  function facilitatorSection() {
    const section = el("section", { class: "facilitator", "aria-label": t("facilitator") });
    if (!facilitator) {
      const panel = el("div", { class: "panel", id: "fac-panel", hidden: true });
      const input = el("input", { type: "password", id: "fac-code", autocomplete: "off" });
      const status = el("p", { class: "error", role: "alert", id: "fac-status" });
      const unlock = async () => {
        status.className = "muted";
        status.textContent = t("checking");
        try {
          const keys = await checkCode(input.value);
          input.value = "";
          if (!keys) { status.className = "error"; status.textContent = t("wrong_code"); return; }
          facilitator = { recordKey: keys.recordKey, exported: null, file: null, since: Date.now() };
          render(false);
          document.getElementById("fac-export") && document.getElementById("fac-export").focus();
        } catch (e) { status.className = "error"; status.textContent = String(e.message || e); }
      };
      panel.append(el("label", { class: "field", for: "fac-code", text: t("code") }), input, status,
        el("div", { class: "nav single" }, button(t("unlock"), unlock, true)));
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") unlock(); });
      section.append(el("button", { type: "button", class: "link", "aria-expanded": "false", "aria-controls": "fac-panel", text: t("facilitator"),
        onclick: (e) => { panel.hidden = !panel.hidden; e.target.setAttribute("aria-expanded", String(!panel.hidden)); if (!panel.hidden) input.focus(); } }), panel);
      return section;
    }
    const n = queue().length;
    const panel = el("div", { class: "panel" }, el("h2", { text: t("facilitator") }));
    panel.append(n ? el("p", { text: t("queued", { n: n }) }) : el("p", { text: t("nothing") }));
    if (n) panel.append(el("button", { type: "button", class: "primary", id: "fac-export", text: t("export", { n: n }), onclick: exportQueue }));
    if (facilitator.exported) {
      panel.append(el("p", { class: "okmsg", role: "status", text: t("exported", { n: facilitator.exported.length, file: facilitator.file }) }));
      const confirmBox = el("input", { type: "checkbox", id: "fac-confirm" });
      const again = el("input", { type: "password", id: "fac-code-again", autocomplete: "off" });
      const status = el("p", { class: "error", role: "alert", id: "fac-clear-status" });
      panel.append(el("h3", { text: t("clear_title") }), el("div", { class: "check" }, confirmBox, el("label", { for: "fac-confirm", text: t("clear_confirm") })),
        el("label", { class: "field", for: "fac-code-again", text: t("code_again") }), again, status,
        el("div", { class: "nav single" }, button(t("clear", { n: facilitator.exported.length }), async () => {
          if (!confirmBox.checked) { status.textContent = t("clear_confirm"); return; }
          status.className = "muted";
          status.textContent = t("checking");
          const keys = await checkCode(again.value).catch(() => null);
          if (!keys) { status.className = "error"; status.textContent = t("wrong_code"); return; }
          const gone = new Set(facilitator.exported);
          localStorage.setItem(QUEUE_KEY, JSON.stringify(queue().filter((entry) => !gone.has(entry.uuid))));
          facilitator.exported = null;
          facilitator.cleared = gone.size;
          render(false);
        })));
    }
    if (facilitator.cleared) panel.append(el("p", { class: "okmsg", role: "status", text: t("cleared", { n: facilitator.cleared }) }));
    panel.append(el("div", { class: "nav single" }, button(t("close"), () => { facilitator = null; render(false); })));
    section.append(panel);
    return section;
  }

  async function exportQueue() {
    const entries = queue();
    const records = [];
    for (const entry of entries) {
      const mac = hex(await crypto.subtle.sign("HMAC", facilitator.recordKey, enc.encode(entry.record)));
      records.push({ uuid: entry.uuid, record: entry.record, hmac: mac });
    }
    const doc = { format: SPEC.format, version: SPEC.format_version, campaign: SPEC.campaign, wave: SPEC.wave, instrument: SPEC.instrument,
      salt: SPEC.kdf.salt, iterations: SPEC.kdf.iterations, verifier: SPEC.kdf.verifier, records: records };
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
    const name = "offline-" + SPEC.campaign + "-w" + SPEC.wave + "-" + stamp + "-" + records.length + ".json";
    const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" }));
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    facilitator.exported = entries.map((e) => e.uuid);
    facilitator.file = name;
    facilitator.cleared = 0;
    render(false);
  }

  // ------------------------------------------------------------------ rendering and the kiosk's clock
  function render(moveFocus) {
    renderHeader();
    let parts;
    if (thanksUntil) parts = thanks();
    else {
      const step = STEPS[Math.min(draft.step, STEPS.length - 1)];
      if (step === "intro") parts = intro();
      else if (step === "profile") parts = profile();
      else if (step === "value") parts = valueAtStake();
      else if (step === "review") parts = review();
      else if (step === "targets") parts = targetsStep();
      else if (step === "meta") parts = metaStep();
      else parts = dimension(Q.dimensions.find((d) => "dim:" + d.id === step));
    }
    main.replaceChildren(...parts);
    if (moveFocus) {
      const h = main.querySelector("h1, h2");
      if (h) h.focus();
      window.scrollTo(0, 0);
    }
  }

  const overlay = document.getElementById("idle");
  document.getElementById("idle-continue").addEventListener("click", () => { activity(); overlay.hidden = true; });
  function activity() {
    // Only the clock: hiding the warning on pointerdown would let the rest of that tap land on what lies beneath it.
    draft.last = Date.now();
  }
  let lastSaved = 0;
  for (const type of ["pointerdown", "keydown", "input", "scroll"]) {
    window.addEventListener(type, () => {
      if (!overlay.hidden && type === "scroll") return;
      activity();
      if (Date.now() - lastSaved > 5000) { lastSaved = Date.now(); saveDraft(); }
    }, { passive: true, capture: true });
  }
  setInterval(() => {
    const now = Date.now();
    if (thanksUntil) {
      if (now >= thanksUntil) return restart();
      const left = document.getElementById("thanks-left");
      if (left) left.textContent = t("back_to_start", { s: Math.ceil((thanksUntil - now) / 1000) });
      return;
    }
    const idle = (now - draft.last) / 1000;
    const busy = draft.step > 0 || facilitator;
    if (!busy) return;
    if (idle >= SPEC.timing.idle_s) {
      overlay.hidden = true;
      facilitator = null;
      return restart();
    }
    if (idle < SPEC.timing.idle_s - SPEC.timing.countdown_s) {
      overlay.hidden = true;
    } else if (draft.step > 0) {
      document.getElementById("idle-text").textContent = t("idle", { s: Math.ceil(SPEC.timing.idle_s - idle) });
      document.getElementById("idle-continue").textContent = t("continue");
      if (overlay.hidden) { overlay.hidden = false; document.getElementById("idle-continue").focus(); }
    }
  }, 1000);
  window.addEventListener("storage", (e) => { if (e.key === QUEUE_KEY) renderHeader(); });
  render(false);
})();
