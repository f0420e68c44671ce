/* Outbox: reports kept in IndexedDB (through the vendored idb UMD) until the server has them.
 *
 * Loaded by the pages and by the service worker (importScripts), so it uses only what both have.
 * Every report carries its client_uuid from the moment it is created; the server answers a repeat of
 * the same UUID with the case it already made (200), so sending twice never makes two cases.
 *
 * Report shape: {client_uuid, user, created_at, state: waiting|sending|rejected, attempts, last_error,
 *                fields: {name: string}, photos: [{blob, name}], after_photos: [{blob, name}], summary: {...}}
 */
(function (root) {
  "use strict";
  const DB_NAME = "gridgov-field";
  const STORE = "outbox";
  const META = "meta";
  const CHANNEL = "gridgov-outbox";
  const LOCK = "gridgov-outbox";
  let dbPromise = null;
  let channel = null;
  const listeners = [];
  const SOURCE = Math.random().toString(36).slice(2); // this page / worker: its own messages are not echoed

  function db() {
    if (!dbPromise) {
      dbPromise = root.idb.openDB(DB_NAME, 1, {
        upgrade(d) {
          d.createObjectStore(STORE, { keyPath: "client_uuid" });
          d.createObjectStore(META);
        },
      });
    }
    return dbPromise;
  }

  /* RFC 4122 version 4; crypto.randomUUID needs a secure context, getRandomValues does not. */
  function newUUID() {
    const c = root.crypto;
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* insecure context: fall through */ }
    }
    const b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function changed(detail) {
    const msg = Object.assign({ type: "changed", source: SOURCE }, detail || {});
    listeners.forEach((fn) => { try { fn(msg); } catch (e) { /* a listener's bug is not ours */ } });
    try {
      if (!channel && root.BroadcastChannel) channel = new root.BroadcastChannel(CHANNEL);
      if (channel) channel.postMessage(msg);
    } catch (e) { /* no BroadcastChannel */ }
  }

  /* fn(msg) is called after any change made here or in another tab / the service worker. */
  function subscribe(fn) {
    listeners.push(fn);
    if (root.BroadcastChannel) {
      const rx = new root.BroadcastChannel(CHANNEL);
      rx.onmessage = (ev) => { if (!ev.data || ev.data.source !== SOURCE) fn(ev.data || {}); };
    }
  }

  async function put(report) { await (await db()).put(STORE, report); changed({ uuid: report.client_uuid }); }
  async function get(uuid) { return (await db()).get(STORE, uuid); }
  async function remove(uuid) { await (await db()).delete(STORE, uuid); changed({ uuid: uuid }); }
  async function all() {
    const items = await (await db()).getAll(STORE);
    return items.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  }
  async function setMeta(key, value) { await (await db()).put(META, value, key); }
  async function getMeta(key) { return (await db()).get(META, key); }

  function formData(report) {
    const fd = new FormData();
    Object.keys(report.fields).forEach((name) => {
      const v = report.fields[name];
      if (v !== null && v !== undefined && v !== "") fd.append(name, String(v));
    });
    fd.append("client_uuid", report.client_uuid);
    (report.photos || []).forEach((p) => fd.append("photos", p.blob, p.name || "photo.jpg"));
    (report.after_photos || []).forEach((p) => fd.append("after_photos", p.blob, p.name || "after.jpg"));
    return fd;
  }

  /* One attempt. Outcome: sent (the server has it: removed from the outbox), rejected (the server
   * refused it as it is: kept, with the field errors, for the worker to fix or delete), auth (not
   * logged in / CSRF / role: kept), retry (no network or a server error: kept). */
  async function sendOne(report, opts) {
    report.state = "sending";
    report.attempts = (report.attempts || 0) + 1;
    report.last_try_at = new Date().toISOString();
    await put(report);
    let resp;
    try {
      resp = await fetch(opts.url, {
        method: "POST", body: formData(report), credentials: "same-origin",
        headers: { "X-CSRFToken": opts.csrf || "", Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
      });
    } catch (e) {
      report.state = "waiting";
      report.last_error = { kind: "network" };
      await put(report);
      return { outcome: "retry", network: true, report: report };
    }
    let body = null;
    try { body = await resp.json(); } catch (e) { body = null; }
    const errors = (body && body.errors) || [];
    if (resp.redirected) { // sent to the login page: the session has ended
      report.state = "waiting";
      report.last_error = { kind: "auth", status: 401, errors: [] };
      await put(report);
      return { outcome: "auth", errors: [], report: report };
    }
    if ((resp.status === 200 || resp.status === 201) && body && body.number) {
      await remove(report.client_uuid);
      const sent = { client_uuid: report.client_uuid, number: body && body.number, at: new Date().toISOString() };
      await setMeta("last_sent", sent);
      changed({ sent: sent });
      return { outcome: "sent", created: resp.status === 201, case: body, report: report };
    }
    if (resp.status === 401 || resp.status === 403) {
      report.state = "waiting";
      report.last_error = { kind: "auth", status: resp.status, errors: errors };
      await put(report);
      return { outcome: "auth", errors: errors, report: report };
    }
    if (resp.status >= 400 && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
      report.state = "rejected";
      report.last_error = { kind: "rejected", status: resp.status, errors: errors };
      await put(report);
      return { outcome: "rejected", errors: errors, report: report };
    }
    report.state = "waiting";
    report.last_error = { kind: "server", status: resp.status, errors: errors };
    await put(report);
    return { outcome: "retry", report: report };
  }

  /* Serialise senders across tabs and the service worker (Web Locks) where the browser has them;
   * the server's client_uuid idempotency makes an overlap harmless anyway. */
  function withLock(fn) {
    const locks = root.navigator && root.navigator.locks;
    return locks ? locks.request(LOCK, fn) : fn();
  }

  /* Send one report now (the page's send button); re-read inside the lock in case another sender
   * got it first. */
  function sendNow(uuid, opts) {
    return withLock(async () => {
      const report = await get(uuid);
      if (!report) return { outcome: "sent", already: true };
      return sendOne(report, opts);
    });
  }

  async function flushOnce(opts) {
    const results = [];
    for (const r of await all()) {
      if (r.state === "rejected") continue;
      if (opts.user && r.user && r.user !== opts.user) continue; // another account's report on this phone
      const fresh = await get(r.client_uuid);
      if (!fresh) continue;
      const res = await sendOne(fresh, opts);
      results.push(res);
      if (res.network || res.outcome === "auth") break; // no point trying the rest now
    }
    return results;
  }

  let running = null;
  let again = false;
  /* Send everything waiting; concurrent calls share one run (and trigger one more pass). */
  function flush(opts) {
    if (running) { again = true; return running; }
    running = (async () => {
      let results = [];
      do {
        again = false;
        results = results.concat(await withLock(() => flushOnce(opts)));
      } while (again);
      return results;
    })().finally(() => { running = null; });
    return running;
  }

  root.GridOutbox = {
    newUUID, put, get, remove, all, setMeta, getMeta, sendOne, sendNow, flush, subscribe, formData,
    SYNC_TAG: "gridgov-outbox",
  };
})(typeof self !== "undefined" ? self : this);
