/* Shared by the field pages: strings, CSRF, JSON fetch, service worker, outbox badge and retries.
 * The page embeds its configuration (#field-config) and its translated strings (#field-strings). */
/* global GridOutbox */
(function (root) {
  "use strict";
  const CFG = JSON.parse(document.getElementById("field-config").textContent);
  const STR = JSON.parse(document.getElementById("field-strings").textContent);
  const RETRY_MS = 30000;

  /* t("key", {n: 3}) → the page language's string with {n} filled in. */
  function t(key, params) {
    let s = Object.prototype.hasOwnProperty.call(STR, key) ? STR[key] : key;
    if (params) Object.keys(params).forEach((k) => { s = s.split("{" + k + "}").join(String(params[k])); });
    return s;
  }

  /* The API's errors carry Chinese (message) and English (message_en). */
  function errorText(err) {
    if (!err) return "";
    return (CFG.lang === "en" ? err.message_en || err.message : err.message || err.message_en) || err.code || "";
  }

  function cookie(name) {
    const m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }

  /* The cookie, read at send time (the page may come from the cache, its embedded token stale). */
  function csrfToken() { return cookie("csrftoken") || CFG.csrf; }

  class ApiError extends Error {
    constructor(status, errors) {
      super(errors && errors.length ? errorText(errors[0]) : "HTTP " + status);
      this.status = status;
      this.errors = errors || [];
    }
  }

  /* GET JSON; throws ApiError (with the API's field errors), TypeError (no network) or, after
   * timeoutMs, an AbortError named "TimeoutError". */
  async function getJSON(url, params, signal, timeoutMs) {
    const u = new URL(url, location.origin);
    Object.keys(params || {}).forEach((k) => { if (params[k] !== undefined && params[k] !== null) u.searchParams.set(k, params[k]); });
    const signals = [signal, timeoutMs && AbortSignal.timeout ? AbortSignal.timeout(timeoutMs) : null].filter(Boolean);
    const combined = signals.length > 1 && AbortSignal.any ? AbortSignal.any(signals) : signals[0];
    const resp = await fetch(u, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: combined });
    let body = null;
    try { body = await resp.json(); } catch (e) { body = null; }
    if (!resp.ok) throw new ApiError(resp.status, body && body.errors);
    return body;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach((c) => { if (c !== null && c !== undefined) node.append(c); });
    return node;
  }

  const timeFmt = new Intl.DateTimeFormat(CFG.lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: CFG.time_zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
  });
  function fmtTime(iso) { return iso ? timeFmt.format(new Date(iso)) : ""; }

  function ago(iso) {
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return t("just_now");
    if (s < 3600) return t("minutes_ago", { n: Math.floor(s / 60) });
    if (s < 86400) return t("hours_ago", { n: Math.floor(s / 3600) });
    return t("days_ago", { n: Math.floor(s / 86400) });
  }

  let toastTimer = null;
  function toast(message, kind) {
    const node = document.getElementById("toast");
    if (!node) return;
    node.textContent = message;
    node.className = "toast show " + (kind || "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.className = "toast"; }, 3500);
  }

  /* --- outbox: badge, retries --------------------------------------------------------------- */
  function sendOptions() { return { url: CFG.urls.cases, csrf: csrfToken(), user: CFG.user }; }

  async function refreshBadge() {
    const items = (await GridOutbox.all()).filter((r) => !r.user || r.user === CFG.user);
    document.querySelectorAll("[data-outbox-count]").forEach((node) => {
      node.textContent = items.length ? String(items.length) : "";
      node.hidden = !items.length;
    });
    document.querySelectorAll("[data-outbox-banner]").forEach((node) => { node.hidden = !items.length; });
    return items;
  }

  const flushListeners = [];
  let lastFlushNetworkFail = false;
  async function flush() {
    const items = await refreshBadge();
    if (!items.some((r) => r.state !== "rejected")) return [];
    const results = await GridOutbox.flush(sendOptions());
    lastFlushNetworkFail = results.some((r) => r.network);
    const sent = results.filter((r) => r.outcome === "sent");
    if (sent.length) toast(t("outbox_sent", { n: sent.length }), "ok");
    flushListeners.forEach((fn) => fn(results));
    await refreshBadge();
    return results;
  }

  async function requestBackgroundSync() {
    try {
      const reg = await navigator.serviceWorker.ready;
      if (reg.sync) await reg.sync.register(GridOutbox.SYNC_TAG);
    } catch (e) { /* no Background Sync: the page retries on 'online', on load and every 30 s */ }
  }

  function showOnline() {
    const online = navigator.onLine && !lastFlushNetworkFail;
    document.body.classList.toggle("is-offline", !navigator.onLine);
    document.querySelectorAll("[data-online]").forEach((node) => {
      node.textContent = navigator.onLine ? t("online") : t("offline");
      node.className = "net " + (navigator.onLine ? "on" : "off");
    });
    return online;
  }

  async function start() {
    showOnline();
    // What the service worker needs to send the outbox by itself (Background Sync).
    GridOutbox.setMeta("csrf", csrfToken()).catch(() => null);
    GridOutbox.setMeta("user", CFG.user).catch(() => null);
    GridOutbox.subscribe(() => { refreshBadge(); });
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(CFG.urls.sw, { scope: CFG.scope }).catch(() => null);
    }
    window.addEventListener("online", () => { showOnline(); flush(); });
    window.addEventListener("offline", showOnline);
    setInterval(() => { if (navigator.onLine) flush(); }, RETRY_MS);
    await refreshBadge();
    if (navigator.onLine) flush();
  }

  root.GG = {
    CFG, t, errorText, csrfToken, getJSON, ApiError, el, fmtTime, ago, toast, flush, refreshBadge,
    requestBackgroundSync, sendOptions, onFlush: (fn) => flushListeners.push(fn), start,
  };
})(window);
