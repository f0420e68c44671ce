/* /field/: report a case. Position (GPS + draggable pin) → grid (locate) → category → photos → text →
 * optional "handled on the spot" → "same problem?" check → saved in the outbox → sent.
 * ?edit=<client_uuid> reopens a report the server refused, from the outbox. */
/* global L, GG, GridOutbox */
(function () {
  "use strict";
  const { CFG, t, el } = GG;
  const $ = (id) => document.getElementById(id);
  const RECENT_KEY = "gridgov.field.recentCategories";
  const DUPLICATES_WAIT_MS = 5000; // a poor connection: send without the check rather than wait
  // An upload still running after this continues in the background and the form is free again.
  const sendWaitMs = () => (typeof CFG.send_wait_ms === "number" ? CFG.send_wait_ms : 8000);
  const ERROR_SLOTS = { lon: "position", lat: "position", datum: "position", gps_accuracy_m: "position",
    category: "category", photos: "photos", after_photos: "after_photos", resolution_note: "resolution_note",
    description: "description", follow_up_of: "duplicates" };

  const state = {
    uuid: GridOutbox.newUUID(), createdAt: new Date().toISOString(), editing: null, reportedAt: null,
    lon: null, lat: null, accuracy: null, manual: false, fix: null,
    located: null, locateError: null, locateOffline: false,
    category: null, photos: [], after: [], onSpot: false,
    candidates: [], dupKey: null, dupPromise: null, dupRadius: null, followUp: null, dupDecided: false,
    busy: false,
  };
  let categories = { groups: [], byCode: {} };

  /* --- map ------------------------------------------------------------------------------------ */
  const map = L.map("map", { zoomControl: false, attributionControl: CFG.map.tiles.length > 0 });
  L.control.zoom({ position: "topright", zoomInTitle: t("zoom_in"), zoomOutTitle: t("zoom_out") }).addTo(map);
  CFG.map.tiles.forEach((tile) => L.tileLayer(tile.url, Object.assign({ maxZoom: CFG.map.max_zoom }, tile.options)).addTo(map));
  // no configured tile server: the offline base map served by the project (roads, water, place names)
  if (!CFG.map.tiles.length && window.GGBasemap) window.GGBasemap.add(map, { theme: "light" });
  if (CFG.map.extent) {
    const e = CFG.map.extent;
    map.fitBounds([[e[1], e[0]], [e[3], e[2]]], { maxZoom: 16 });
  } else {
    map.setView(CFG.map.center, CFG.map.zoom);
  }
  const GRID_STYLE = { color: "#5b7db1", weight: 1, opacity: 0.8, fillColor: "#dfe8f5", fillOpacity: 0.35, className: "grid-outline" };
  const HERE_STYLE = { color: "#1559b7", weight: 3, opacity: 1, fillColor: "#1559b7", fillOpacity: 0.12 };
  const grids = L.geoJSON(null, {
    style: () => GRID_STYLE, interactive: false,
    onEachFeature: (f, layer) => layer.bindTooltip(document.createTextNode(f.properties.name || ""), { permanent: true, direction: "center", className: "grid-label" }),
  }).addTo(map);
  const accuracyCircle = L.circle([0, 0], { radius: 1, color: "#1559b7", weight: 1, fillOpacity: 0.08, interactive: false });
  const pin = L.marker([0, 0], {
    draggable: true, autoPan: true, keyboard: false, title: t("drag_pin"),
    icon: L.divIcon({ className: "pin", html: "<span></span>", iconSize: [32, 32], iconAnchor: [16, 29] }),
  });
  let loadedBounds = null;
  let gridsCtl = null;

  async function loadGrids() {
    if (map.getZoom() < 13) return;
    const view = map.getBounds();
    if (loadedBounds && loadedBounds.contains(view)) return;
    const b = view.pad(0.6);
    if (gridsCtl) gridsCtl.abort();
    const ctl = gridsCtl = new AbortController();
    try {
      const fc = await GG.getJSON(CFG.urls.grids, {
        level: 4, simplify: 0.00002,
        bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","),
      }, ctl.signal);
      grids.clearLayers();
      grids.addData(fc);
      loadedBounds = b;
      highlightGrid();
    } catch (e) { /* offline and not cached: the pin and the grid name still work */ }
  }
  map.on("moveend", loadGrids);

  function highlightGrid() {
    const code = state.located && state.located.code;
    grids.eachLayer((layer) => {
      const here = layer.feature.properties.code === code;
      layer.setStyle(here ? HERE_STYLE : GRID_STYLE);
      if (layer.getTooltip()) layer.getTooltip().setOpacity(here ? 0 : 1);
    });
  }

  /* --- position ------------------------------------------------------------------------------- */
  function setPoint(lon, lat, accuracy, opts) {
    const first = state.lon === null;
    state.lon = lon;
    state.lat = lat;
    state.accuracy = accuracy;
    pin.setLatLng([lat, lon]);
    if (!map.hasLayer(pin)) pin.addTo(map);
    if (accuracy && !state.manual) {
      accuracyCircle.setLatLng([lat, lon]).setRadius(accuracy);
      if (!map.hasLayer(accuracyCircle)) accuracyCircle.addTo(map);
    } else if (map.hasLayer(accuracyCircle)) {
      accuracyCircle.remove();
    }
    if (first || (opts && opts.center)) map.setView([lat, lon], Math.max(map.getZoom(), 16));
    else if (!map.getBounds().contains([lat, lon])) map.panTo([lat, lon]);
    showAccuracy();
    clearError("position");
    locateSoon();
    duplicatesSoon();
  }

  function showAccuracy() {
    const chip = $("accuracy");
    let level = "none";
    let text = t("locating");
    if (state.manual) {
      level = "manual";
      text = t("pin_moved");
    } else if (state.fix) {
      const a = Math.round(state.fix.acc);
      level = a <= 20 ? "good" : a <= 100 ? "fair" : "poor";
      text = t("accuracy", { m: a });
    } else if (state.geoError) {
      level = "poor";
      text = state.geoError;
    }
    chip.textContent = text;
    chip.dataset.level = level;
    $("recenter").hidden = !(state.manual && state.fix);
  }

  function startGeolocation() {
    if (!navigator.geolocation) {
      state.geoError = t("gps_unavailable");
      showAccuracy();
      return;
    }
    navigator.geolocation.watchPosition((pos) => {
      state.fix = { lon: pos.coords.longitude, lat: pos.coords.latitude, acc: pos.coords.accuracy };
      state.geoError = null;
      if (!state.manual) setPoint(state.fix.lon, state.fix.lat, state.fix.acc);
      else showAccuracy();
    }, (err) => {
      state.geoError = err.code === 1 ? t("gps_denied") : t("gps_failed");
      showAccuracy();
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  function moveManually(latlng) {
    state.manual = true;
    setPoint(latlng.lng, latlng.lat, null);
  }
  pin.on("dragend", () => moveManually(pin.getLatLng()));
  map.on("click", (e) => moveManually(e.latlng));
  $("recenter").addEventListener("click", () => {
    if (!state.fix) return;
    state.manual = false;
    setPoint(state.fix.lon, state.fix.lat, state.fix.acc, { center: true });
  });

  /* --- grid (locate) ------------------------------------------------------------------------- */
  let locateTimer = null;
  let locateCtl = null;
  function locateSoon() { clearTimeout(locateTimer); locateTimer = setTimeout(locateNow, 250); }

  async function locateNow() {
    if (state.lon === null) return;
    if (locateCtl) locateCtl.abort();
    const ctl = locateCtl = new AbortController();
    $("grid-info").dataset.state = "loading";
    try {
      const res = await GG.getJSON(CFG.urls.locate, { lon: state.lon.toFixed(7), lat: state.lat.toFixed(7), datum: "wgs84" }, ctl.signal);
      if (ctl !== locateCtl) return;
      state.located = res;
      state.locateError = null;
      state.locateOffline = false;
    } catch (e) {
      if (e.name === "AbortError" || ctl !== locateCtl) return;
      state.located = null;
      state.locateError = e instanceof GG.ApiError ? (e.errors[0] || { message: e.message, message_en: e.message }) : null;
      state.locateOffline = !(e instanceof GG.ApiError);
    }
    showGrid();
    highlightGrid();
  }

  function showGrid() {
    const box = $("grid-info");
    const name = $("grid-name");
    const sub = $("grid-sub");
    if (state.located) {
      const byLevel = {};
      (state.located.ancestors || []).forEach((a) => { byLevel[a.level] = a.name; });
      box.dataset.state = "ok";
      name.textContent = state.located.name;
      sub.textContent = [byLevel[3], byLevel[2]].filter(Boolean).join(" · ");
    } else if (state.locateError) {
      box.dataset.state = "error";
      name.textContent = t("outside_grids");
      sub.textContent = GG.errorText(state.locateError);
    } else if (state.locateOffline) {
      box.dataset.state = "offline";
      name.textContent = t("grid_offline");
      sub.textContent = t("grid_offline_hint");
    } else {
      box.dataset.state = "none";
      name.textContent = t("grid_waiting");
      sub.textContent = "";
    }
  }

  /* --- categories ----------------------------------------------------------------------------- */
  async function loadCategories() {
    try {
      const list = await GG.getJSON(CFG.urls.categories);
      const groups = {};
      const byCode = {};
      list.forEach((c) => { if (c.level === 1) groups[c.code] = Object.assign({ items: [] }, c); });
      list.forEach((c) => {
        if (c.level !== 2) return;
        byCode[c.code] = c;
        c.search = [c.name, c.keywords, c.code, c.parent_name].join(" ").toLowerCase();
        if (groups[c.parent]) groups[c.parent].items.push(c);
      });
      categories = { groups: Object.values(groups).filter((g) => g.items.length), byCode: byCode };
    } catch (e) {
      showError("category", t("categories_unavailable"));
    }
    renderRecent();
  }

  function categoryLabel(c) { return c.parent_name ? c.parent_name + " › " + c.name : c.name; }

  function renderCategoryList() {
    const words = $("category-search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const list = $("category-list");
    list.replaceChildren();
    let shown = 0;
    categories.groups.forEach((g) => {
      const items = g.items.filter((c) => words.every((w) => c.search.includes(w)));
      if (!items.length) return;
      shown += items.length;
      list.append(el("div", { class: "cat-group", text: g.name }));
      items.forEach((c) => list.append(el("button", {
        type: "button", class: "cat-item" + (state.category && state.category.code === c.code ? " selected" : ""),
        "data-code": c.code, onclick: () => { chooseCategory(c); closeSheet("category-sheet"); },
      }, [el("span", { text: c.name }), el("small", { text: c.keywords || "" })])));
    });
    if (!shown) list.append(el("p", { class: "empty", text: t("no_category_match") }));
  }

  function chooseCategory(c) {
    state.category = c;
    const label = $("category-label");
    label.textContent = categoryLabel(c);
    label.classList.remove("placeholder");
    clearError("category");
    renderRecent();
    duplicatesSoon();
  }

  function recentCodes() {
    try { return JSON.parse(localStorage.getItem(RECENT_KEY) || "[]"); } catch (e) { return []; }
  }
  function rememberCategory(code) {
    const codes = [code].concat(recentCodes().filter((c) => c !== code)).slice(0, 4);
    try { localStorage.setItem(RECENT_KEY, JSON.stringify(codes)); } catch (e) { /* private mode */ }
  }
  function renderRecent() {
    const box = $("recent-categories");
    box.replaceChildren();
    recentCodes().map((code) => categories.byCode[code]).filter(Boolean).forEach((c) => box.append(el("button", {
      type: "button", class: "chip" + (state.category && state.category.code === c.code ? " selected" : ""),
      text: c.name, onclick: () => chooseCategory(c),
    })));
    box.hidden = !box.children.length;
  }

  function openSheet(id) { $(id).hidden = false; document.body.classList.add("sheet-open"); }
  function closeSheet(id) { $(id).hidden = true; document.body.classList.remove("sheet-open"); }
  $("category-button").addEventListener("click", () => {
    openSheet("category-sheet");
    $("category-search").value = "";
    renderCategoryList();
    $("category-search").focus();
  });
  $("category-search").addEventListener("input", renderCategoryList);
  $("category-close").addEventListener("click", () => closeSheet("category-sheet"));

  /* --- photos --------------------------------------------------------------------------------- */
  const photoLists = { photos: () => state.photos, after_photos: () => state.after };
  const PHOTO_RE = /\.(jpe?g|png|heic|heif)$/i;

  function addPhotos(kind, files) {
    const list = photoLists[kind]();
    clearError(kind);
    for (const f of files) {
      if (list.length >= CFG.photos.max_count) { showError(kind, t("photos_max", { n: CFG.photos.max_count })); break; }
      if (!(f.type || "").startsWith("image/") && !PHOTO_RE.test(f.name || "")) { showError(kind, t("not_an_image", { name: f.name })); continue; }
      if (f.size > CFG.photos.max_bytes) { showError(kind, t("photo_too_large", { name: f.name, mb: Math.round(CFG.photos.max_bytes / 1048576) })); continue; }
      list.push({ blob: f, name: f.name || "photo.jpg", url: URL.createObjectURL(f) });
    }
    renderPhotos(kind);
  }

  function renderPhotos(kind) {
    const list = photoLists[kind]();
    const box = $(kind === "photos" ? "photos" : "after-photos");
    box.querySelectorAll(".thumb").forEach((n) => n.remove());
    const add = box.querySelector(".photo-add");
    list.forEach((p, i) => {
      const img = el("img", { src: p.url, alt: t("photo_n", { n: i + 1 }) });
      img.addEventListener("error", () => img.replaceWith(el("span", { class: "thumb-name", text: p.name })));
      box.insertBefore(el("div", { class: "thumb" }, [img, el("button", {
        type: "button", class: "thumb-remove", "aria-label": t("remove_photo"), text: "×",
        onclick: () => { URL.revokeObjectURL(p.url); list.splice(i, 1); renderPhotos(kind); },
      })]), add);
    });
    add.hidden = list.length >= CFG.photos.max_count;
    $(kind === "photos" ? "photo-count" : "after-count").textContent = list.length + "/" + CFG.photos.max_count;
  }

  [["photo-input", "photos"], ["after-input", "after_photos"]].forEach(([id, kind]) => {
    $(id).addEventListener("change", (ev) => { addPhotos(kind, Array.from(ev.target.files || [])); ev.target.value = ""; });
  });

  /* --- handled on the spot -------------------------------------------------------------------- */
  function setOnSpot(on) {
    state.onSpot = on;
    $("on-spot").checked = on;
    $("on-spot-fields").hidden = !on;
    if (!on) { clearError("resolution_note"); clearError("after_photos"); }
  }
  $("on-spot").addEventListener("change", (ev) => setOnSpot(ev.target.checked));

  /* --- same problem? (duplicates) ------------------------------------------------------------- */
  let dupTimer = null;
  function duplicatesSoon() { clearTimeout(dupTimer); dupTimer = setTimeout(() => checkDuplicates().catch(() => null), 500); }

  function checkDuplicates() {
    if (!state.category || state.lon === null) return Promise.resolve();
    const key = [state.category.code, state.lon.toFixed(4), state.lat.toFixed(4)].join(",");
    if (key === state.dupKey && state.dupPromise) return state.dupPromise;
    state.dupKey = key;
    state.dupPromise = GG.getJSON(CFG.urls.duplicates, {
      lon: state.lon.toFixed(7), lat: state.lat.toFixed(7), datum: "wgs84", category: state.category.code,
    }, null, DUPLICATES_WAIT_MS).then((res) => {
      if (key !== state.dupKey) return;
      const before = state.candidates.map((c) => c.number).join();
      state.candidates = res.results || [];
      state.dupRadius = res.radius_m;
      if (state.followUp && !state.candidates.some((c) => c.number === state.followUp)) state.followUp = null;
      if (before !== state.candidates.map((c) => c.number).join() && !state.followUp) state.dupDecided = false;
      renderDuplicates();
    }, () => {
      if (key === state.dupKey) state.dupPromise = null; // offline: checked again before sending
    });
    return state.dupPromise;
  }

  function renderDuplicates() {
    const box = $("duplicates");
    const list = $("dup-list");
    list.replaceChildren();
    box.hidden = !state.candidates.length;
    if (!state.candidates.length) return;
    $("dup-title").textContent = t("dup_title", { n: state.candidates.length, m: state.dupRadius });
    state.candidates.forEach((c) => {
      const chosen = state.followUp === c.number;
      list.append(el("div", { class: "dup" + (chosen ? " chosen" : ""), "data-number": c.number }, [
        c.thumbnail_url ? el("img", { src: c.thumbnail_url, alt: "" }) : null,
        el("div", { class: "dup-body" }, [
          el("div", { class: "dup-desc", text: c.description || c.category.name }),
          el("div", { class: "dup-meta", text: t("dup_meta", { m: Math.round(c.distance_m), ago: GG.ago(c.received_at), grid: c.grid_name }) }),
          c.repeat_count ? el("div", { class: "dup-meta", text: t("dup_repeats", { n: c.repeat_count }) }) : null,
        ]),
        el("button", {
          type: "button", class: "btn small " + (chosen ? "primary" : "outline"), text: chosen ? t("dup_chosen") : t("dup_same"),
          onclick: () => { state.followUp = chosen ? null : c.number; state.dupDecided = !chosen; clearError("duplicates"); renderDuplicates(); },
        }),
      ]));
    });
    const notSame = $("dup-new");
    notSame.classList.toggle("primary", state.dupDecided && !state.followUp);
    notSame.textContent = state.dupDecided && !state.followUp ? t("dup_new_chosen") : t("dup_new");
    $("dup-note").textContent = state.followUp ? t("dup_follow_up_note", { number: state.followUp }) : "";
  }
  $("dup-new").addEventListener("click", () => {
    state.followUp = null;
    state.dupDecided = true;
    clearError("duplicates");
    renderDuplicates();
  });

  /* --- errors --------------------------------------------------------------------------------- */
  function slot(field) { return document.querySelector('[data-error-for="' + field + '"]'); }
  function showError(field, message) {
    const node = slot(field) || slot("_general");
    node.textContent = node.textContent ? node.textContent + " " + message : message;
    node.hidden = false;
    const card = node.closest(".card");
    if (card) card.classList.add("has-error");
  }
  function clearError(field) {
    const node = slot(field);
    if (!node) return;
    node.textContent = "";
    node.hidden = true;
    const card = node.closest(".card");
    if (card && !card.querySelector(".field-error:not([hidden])")) card.classList.remove("has-error");
  }
  function clearErrors() { document.querySelectorAll("[data-error-for]").forEach((n) => clearError(n.dataset.errorFor)); }
  function showApiErrors(errors) {
    (errors && errors.length ? errors : [{ message: t("send_failed"), message_en: t("send_failed") }]).forEach((err) => {
      showError(ERROR_SLOTS[err.field] || "_general", GG.errorText(err));
    });
    focusFirstError();
  }
  function focusFirstError() {
    const first = document.querySelector(".field-error:not([hidden])");
    if (first) (first.closest(".card") || first).scrollIntoView({ behavior: "smooth", block: "center" });
  }

  function validate() {
    const problems = [];
    if (state.lon === null) problems.push(["position", t("need_position")]);
    else if (state.locateError) problems.push(["position", t("move_pin_into_grid")]);
    if (!state.category) problems.push(["category", t("need_category")]);
    if (CFG.photos.required && !state.photos.length) problems.push(["photos", t("need_photo")]);
    if (state.onSpot && state.followUp) problems.push(["duplicates", t("dup_on_spot_conflict")]);
    if (state.onSpot) {
      if (!$("resolution-note").value.trim()) problems.push(["resolution_note", t("need_note")]);
      if (!state.after.length) problems.push(["after_photos", t("need_after_photo")]);
    }
    return problems;
  }

  /* --- send ----------------------------------------------------------------------------------- */
  function buildReport() {
    const c = state.category;
    return {
      client_uuid: state.uuid, user: CFG.user, created_at: state.createdAt, state: "waiting", attempts: 0,
      last_error: null,
      fields: {
        lon: state.lon.toFixed(7), lat: state.lat.toFixed(7), datum: "wgs84",
        gps_accuracy_m: state.manual || !state.accuracy ? "" : state.accuracy.toFixed(1),
        category: c.code, description: $("description").value.trim(), channel: "grid_patrol",
        reported_at: state.reportedAt || new Date().toISOString(),
        follow_up_of: state.followUp || "",
        resolved_on_spot: state.onSpot ? "true" : "false",
        resolution_note: state.onSpot ? $("resolution-note").value.trim() : "",
      },
      photos: state.photos.map((p) => ({ blob: p.blob, name: p.name })),
      after_photos: state.onSpot ? state.after.map((p) => ({ blob: p.blob, name: p.name })) : [],
      summary: {
        category: categoryLabel(c), grid: state.located ? state.located.name : "",
        description: $("description").value.trim().slice(0, 80), manual: state.manual,
      },
    };
  }

  async function submit(ev) {
    ev.preventDefault();
    if (state.busy) return;
    clearErrors();
    const problems = validate();
    if (problems.length) { problems.forEach(([f, m]) => showError(f, m)); focusFirstError(); return; }
    state.busy = true;
    $("submit").disabled = true;
    $("submit").textContent = t("sending");
    try {
      await checkDuplicates();
      if (state.candidates.length && !state.dupDecided) {
        showError("duplicates", t("dup_decide"));
        focusFirstError();
        return;
      }
      const report = buildReport();
      await GridOutbox.put(report); // kept on the phone first, whatever happens next
      rememberCategory(report.fields.category);
      const sending = GridOutbox.sendNow(report.client_uuid, GG.sendOptions());
      const res = await Promise.race([sending, new Promise((r) => setTimeout(r, sendWaitMs(), { outcome: "slow" }))]);
      if (res.outcome === "slow") {
        showQueued(res);
        resetForm();
        sending.then(finishedInBackground, () => null);
      } else if (res.outcome === "sent") {
        showDone(res.case);
        resetForm();
      } else if (res.outcome === "rejected") {
        if (!state.editing) await GridOutbox.remove(report.client_uuid); // still in the form: fix and send again
        showApiErrors(res.errors);
      } else {
        GG.requestBackgroundSync();
        showQueued(res);
        resetForm();
      }
    } finally {
      state.busy = false;
      $("submit").disabled = false;
      $("submit").textContent = t("submit");
      GG.refreshBadge();
    }
  }
  $("report-form").addEventListener("submit", submit);
  $("description").addEventListener("input", () => clearError("description"));
  $("resolution-note").addEventListener("input", () => clearError("resolution_note"));

  function showDone(c) {
    $("done-icon").dataset.kind = "ok";
    $("done-title").textContent = c.status === "merged" ? t("done_follow_up") : c.status === "closed" ? t("done_closed") : t("done_title");
    $("done-number").textContent = t("case_number", { number: c.number });
    $("done-detail").textContent = [c.grid_name, c.category && c.category.name, c.status_label].filter(Boolean).join(" · ");
    openSheet("done");
    $("done-again").focus();
  }

  function showQueued(res) {
    $("done-icon").dataset.kind = "queued";
    $("done-title").textContent = res.outcome === "slow" ? t("slow_title") : t("queued_title");
    $("done-number").textContent = "";
    $("done-detail").textContent = { auth: t("queued_auth"), slow: t("slow_detail") }[res.outcome] || t("queued_detail");
    openSheet("done");
  }

  /* A slow upload that went on after the form was freed: it stays in the outbox unless sent. */
  function finishedInBackground(res) {
    if (res.outcome === "sent") GG.toast(t("sent_in_background", { number: res.case.number }), "ok");
    else if (res.outcome === "rejected") GG.toast(t("refused_in_background"), "warn");
    else GG.requestBackgroundSync();
    GG.refreshBadge();
  }
  $("done-again").addEventListener("click", () => closeSheet("done"));

  function resetForm() {
    state.photos.concat(state.after).forEach((p) => URL.revokeObjectURL(p.url));
    Object.assign(state, {
      uuid: GridOutbox.newUUID(), createdAt: new Date().toISOString(), editing: null, reportedAt: null,
      category: null, photos: [], after: [], candidates: [], dupKey: null, dupPromise: null,
      followUp: null, dupDecided: false,
    });
    $("report-form").reset();
    $("category-label").textContent = t("choose_category");
    $("category-label").classList.add("placeholder");
    $("edit-banner").hidden = true;
    if (history.replaceState && location.search) history.replaceState(null, "", location.pathname);
    setOnSpot(false);
    renderPhotos("photos");
    renderPhotos("after_photos");
    renderDuplicates();
    renderRecent();
    if (state.manual && state.fix) { // the next report starts from the GPS position again
      state.manual = false;
      setPoint(state.fix.lon, state.fix.lat, state.fix.acc);
    }
  }

  /* --- reopen a refused report from the outbox (?edit=<uuid>) ---------------------------------- */
  async function loadForEdit(uuid) {
    const r = await GridOutbox.get(uuid);
    if (!r) return;
    const f = r.fields;
    Object.assign(state, { uuid: r.client_uuid, createdAt: r.created_at, editing: r.client_uuid, reportedAt: f.reported_at });
    state.manual = true;
    setPoint(parseFloat(f.lon), parseFloat(f.lat), null, { center: true });
    if (categories.byCode[f.category]) chooseCategory(categories.byCode[f.category]);
    $("description").value = f.description || "";
    state.photos = (r.photos || []).map((p) => ({ blob: p.blob, name: p.name, url: URL.createObjectURL(p.blob) }));
    state.after = (r.after_photos || []).map((p) => ({ blob: p.blob, name: p.name, url: URL.createObjectURL(p.blob) }));
    setOnSpot(f.resolved_on_spot === "true");
    $("resolution-note").value = f.resolution_note || "";
    if (f.follow_up_of) { state.followUp = f.follow_up_of; state.dupDecided = true; }
    renderPhotos("photos");
    renderPhotos("after_photos");
    $("edit-banner").hidden = false;
    const errors = (r.last_error && r.last_error.errors) || [];
    // Refused for its time (a phone clock ahead): send it with the time of the corrected clock.
    if (errors.some((e) => e.field === "reported_at" || e.field === "occurred_at")) state.reportedAt = null;
    if (errors.length) showApiErrors(errors);
  }

  /* --- start ---------------------------------------------------------------------------------- */
  renderPhotos("photos");
  renderPhotos("after_photos");
  showAccuracy();
  showGrid();
  GG.start();
  const editing = new URLSearchParams(location.search).get("edit");
  loadCategories().then(() => (editing ? loadForEdit(editing) : null)).finally(() => {
    startGeolocation(); // after loadForEdit: a reopened report keeps its pin until "back to my position"
    loadGrids();
  });
  document.body.dataset.ready = "1";
})();
