// Nahnetz driver pages: stop reports sent with fetch, kept on the phone while there
// is no network (localStorage) and sent again when it is back (the online event and
// a retry timer). Each report keeps its Idempotency-Key, so sending it twice records
// it once; the server counts a report dispatch already has as done. Without script
// the forms post normally.
(function () {
  "use strict";
  var STORE = "nahnetz.driver.reports";
  var RETRY_MS = 5000;
  var KEEP_SENT_MS = 6 * 3600 * 1000;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var textsNode = document.getElementById("driver-texts");
  var texts = textsNode ? JSON.parse(textsNode.textContent) : {};
  var sending = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(entries) {
    try { window.localStorage.setItem(STORE, JSON.stringify(entries)); } catch (e) { /* full: keep in memory */ }
  }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }
  function stopNode(stop) {
    return document.querySelector('[data-stop="' + stop.replace(/"/g, "") + '"]');
  }
  function mark(entry, state, message) {
    var node = stopNode(entry.stop);
    if (!node) { return; }
    var sync = node.querySelector("[data-sync]");
    if (!sync) { return; }
    sync.classList.remove("waiting", "sent", "refused");
    sync.classList.add(state);
    var label = texts[state] || state;
    sync.textContent = message ? label + " " + message : label;
    node.setAttribute("data-sync-state", state);
  }
  function applied(entry, answer) {
    var node = stopNode(entry.stop);
    if (!node) { return; }
    var status = answer && answer.stop_status;
    if (status) {
      node.setAttribute("data-status", status);
      var name = node.querySelector("[data-status-name]");
      if (name && texts.statuses && texts.statuses[status]) { name.textContent = texts.statuses[status]; }
    }
    // The report is done: its form goes; every form goes once the stop is finished.
    var finished = status === "DONE" || status === "FAILED";
    Array.prototype.forEach.call(node.querySelectorAll("form[data-report]"), function (form) {
      if (finished || form.getAttribute("data-step") === entry.step || entry.step === "failed") {
        var holder = form.closest("details") || form;
        holder.hidden = true;
      } else if (entry.step !== "arrived") {
        if (form.getAttribute("data-step") === "arrived") { form.hidden = true; }
      }
    });
  }
  function netStatus() {
    var node = document.querySelector("[data-net-status]");
    if (node) { node.textContent = navigator.onLine === false ? (texts.offline || "") : ""; }
  }

  function send(entry) {
    var headers = {
      "Content-Type": "application/x-www-form-urlencoded",
      "Accept": "application/json",
      "HX-Request": "true",
      "Idempotency-Key": entry.id
    };
    if (meta) { headers["X-CSRF-Token"] = meta.getAttribute("content"); }
    return fetch(entry.url, { method: "POST", body: entry.body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.ok && answer.outcome === "done") { return { state: "sent", answer: answer }; }
          if (response.status === 503 || answer.outcome === "retry") { return { state: "waiting" }; }
          return { state: "refused", answer: answer };
        });
      }, function () { return { state: "waiting" }; });
  }

  function update(id, change) {
    var entries = load();
    entries.forEach(function (e) { if (e.id === id) { change(e); } });
    save(entries.filter(function (e) { return e.state !== "gone"; }));
  }

  function deliver(entry) {
    return send(entry).then(function (result) {
      if (result.state === "sent") {
        update(entry.id, function (e) { e.state = "sent"; e.sentAt = Date.now(); e.answer = result.answer; });
        mark(entry, "sent");
        applied(entry, result.answer);
      } else if (result.state === "refused") {
        update(entry.id, function (e) { e.state = "gone"; });
        mark(entry, "refused", (result.answer && result.answer.message) || "");
      } else {
        mark(entry, "waiting");
      }
      return result.state;
    });
  }

  function flush() {
    netStatus();
    if (sending) { return; }
    var waiting = load().filter(function (e) { return e.state === "waiting"; });
    if (!waiting.length) { return; }
    sending = true;
    // One after the other, in the order they were reported.
    waiting.reduce(function (chain, entry) {
      return chain.then(function (stopped) {
        if (stopped) { mark(entry, "waiting"); return true; }
        return deliver(entry).then(function (state) { return state === "waiting"; });
      });
    }, Promise.resolve(false)).then(function () { sending = false; }, function () { sending = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-report]")) { return; }
    if (!form.checkValidity()) { return; }
    event.preventDefault();
    var stopItem = form.closest("[data-stop]");
    var body = new URLSearchParams(new FormData(form)).toString();
    var entry = { id: newId(), url: form.getAttribute("action"), body: body, step: form.getAttribute("data-step"),
                  stop: stopItem ? stopItem.getAttribute("data-stop") : "", state: "waiting", at: Date.now() };
    var entries = load();
    entries.push(entry);
    save(entries);
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    deliver(entry).then(function (state) {
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
      if (state === "waiting") { netStatus(); }
    });
  });

  function start() {
    var now = Date.now();
    var entries = load().filter(function (e) { return e.state !== "sent" || now - (e.sentAt || 0) < KEEP_SENT_MS; });
    save(entries);
    entries.forEach(function (e) {
      if (e.state === "sent") {
        var node = stopNode(e.stop);
        var status = node && node.getAttribute("data-status");
        // Shown until the page shows the stop finished by itself.
        if (node && status !== "DONE" && status !== "FAILED") { mark(e, "sent"); applied(e, e.answer); }
      } else { mark(e, "waiting"); }
    });
    netStatus();
    flush();
    window.addEventListener("online", flush);
    window.addEventListener("offline", netStatus);
    window.setInterval(flush, RETRY_MS);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
