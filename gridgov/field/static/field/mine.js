/* /field/mine/: what is waiting in the outbox (top), then the cases I reported (from the API). */
/* global GG, GridOutbox */
(function () {
  "use strict";
  const { CFG, t, el } = GG;
  const $ = (id) => document.getElementById(id);
  const PAGE = 20;
  const STALE_SENDING_MS = 120000;
  let next = null;
  let thumbs = [];

  /* --- outbox --------------------------------------------------------------------------------- */
  function stateText(r) {
    const err = r.last_error || {};
    if (r.user && r.user !== CFG.user) return [t("outbox_other_user", { user: r.user }), "muted"];
    if (r.state === "rejected") return [t("outbox_rejected") + " " + (err.errors || []).map(GG.errorText).join(" "), "error"];
    if (r.state === "sending" && Date.now() - new Date(r.last_try_at).getTime() < STALE_SENDING_MS) return [t("outbox_sending"), "busy"];
    if (err.kind === "auth") return [t("outbox_auth"), "error"];
    if (err.kind === "server") return [t("outbox_server", { status: err.status }), "warn"];
    return [r.attempts ? t("outbox_waiting_retry", { n: r.attempts }) : t("outbox_waiting"), "warn"];
  }

  async function renderOutbox() {
    const items = await GridOutbox.all();
    thumbs.forEach((u) => URL.revokeObjectURL(u));
    thumbs = [];
    const list = $("outbox-list");
    list.replaceChildren();
    $("outbox").hidden = !items.length;
    $("outbox-count").textContent = String(items.length);
    items.forEach((r) => {
      const photo = (r.photos || [])[0];
      let img = el("div", { class: "noimg" });
      if (photo && photo.blob) {
        const url = URL.createObjectURL(photo.blob);
        thumbs.push(url);
        img = el("img", { src: url, alt: "" });
        img.addEventListener("error", () => img.replaceWith(el("div", { class: "noimg" })));
      }
      const [text, kind] = stateText(r);
      const actions = [];
      if (r.state === "rejected") {
        actions.push(el("a", { class: "btn small primary", href: CFG.urls.report_page + "?edit=" + encodeURIComponent(r.client_uuid), text: t("edit") }));
      }
      actions.push(el("button", {
        type: "button", class: "btn small outline danger", text: t("delete"),
        onclick: async () => { if (window.confirm(t("delete_confirm"))) await GridOutbox.remove(r.client_uuid); },
      }));
      list.append(el("li", { class: "item outbox-item", "data-uuid": r.client_uuid, "data-state": r.state }, [
        img,
        el("div", { class: "item-body" }, [
          el("div", { class: "item-title", text: (r.summary && r.summary.category) || r.fields.category }),
          r.summary && r.summary.description ? el("div", { class: "item-desc", text: r.summary.description }) : null,
          el("div", { class: "item-meta", text: [GG.fmtTime(r.created_at), r.summary && r.summary.grid,
            t("photo_count", { n: (r.photos || []).length })].filter(Boolean).join(" · ") }),
          el("div", { class: "item-state " + kind, text: text }),
          el("div", { class: "item-actions" }, actions),
        ]),
      ]));
    });
  }

  $("outbox-send").addEventListener("click", async () => {
    $("outbox-send").disabled = true;
    try {
      const results = await GG.flush();
      if (results.some((r) => r.network)) GG.toast(t("still_offline"), "warn");
    } finally {
      $("outbox-send").disabled = false;
    }
  });

  /* --- my cases ------------------------------------------------------------------------------- */
  function caseItem(c) {
    const photo = (c.photos || []).find((p) => p.kind === "report") || (c.photos || [])[0];
    return el("li", { class: "item case-item", "data-number": c.number, "data-status": c.status }, [
      photo ? el("img", { src: photo.thumbnail_url, alt: "", loading: "lazy" }) : el("div", { class: "noimg" }),
      el("div", { class: "item-body" }, [
        el("div", { class: "item-title" }, [
          el("span", {}, [c.category ? c.category.name : "", c.urgency !== "normal"
            ? el("i", { class: "urgency u-" + c.urgency, text: c.urgency_label }) : null]),
          el("span", { class: "status s-" + c.status, text: c.status_label }),
        ]),
        c.description ? el("div", { class: "item-desc", text: c.description }) : null,
        el("div", { class: "item-meta", text: [c.grid_name, GG.fmtTime(c.received_at)].join(" · ") }),
        el("div", { class: "item-meta num", text: t("case_number", { number: c.number }) +
          (c.follow_up_of ? " · " + t("follow_up_of", { number: c.follow_up_of }) : "") +
          (c.resolved_on_spot ? " · " + t("on_spot_done") : "") }),
      ]),
    ]);
  }

  async function loadCases(more) {
    const state = $("mine-state");
    state.textContent = more ? "" : t("loading");
    try {
      const page = await GG.getJSON(more && next ? next : CFG.urls.mine, more && next ? null : { limit: PAGE });
      if (!more) $("case-list").replaceChildren();
      page.results.forEach((c) => $("case-list").append(caseItem(c)));
      next = page.next;
      $("more").hidden = !next;
      state.textContent = page.count ? t("cases_total", { n: page.count }) : t("no_cases");
      if (!navigator.onLine) state.textContent += " " + t("cached_copy");
    } catch (e) {
      state.textContent = e instanceof GG.ApiError ? e.message : t("cases_offline");
    }
  }
  $("more").addEventListener("click", () => loadCases(true));
  $("refresh").addEventListener("click", () => loadCases(false));

  GridOutbox.subscribe(() => renderOutbox());
  GG.onFlush((results) => { renderOutbox(); if (results.some((r) => r.outcome === "sent")) loadCases(false); });
  window.addEventListener("online", () => loadCases(false));
  GG.start();
  renderOutbox();
  loadCases(false);
  document.body.dataset.ready = "1";
})();
