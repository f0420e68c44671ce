/* Console pages: photo previews before upload, the notifications badge, no double submits. */
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-preview]").forEach((input) => {
    const box = document.getElementById(input.dataset.preview);
    if (!box) return;
    let urls = [];
    input.addEventListener("change", () => {
      urls.forEach((u) => URL.revokeObjectURL(u));
      urls = Array.from(input.files || []).map((f) => URL.createObjectURL(f));
      box.replaceChildren(...urls.map((u) => { const img = document.createElement("img"); img.src = u; img.alt = ""; return img; }));
      const pick = input.closest(".file-pick");
      if (pick) pick.dataset.count = String(urls.length);
    });
  });

  // Folded filters are open on a desk.
  if (window.matchMedia("(min-width: 900px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((d) => { d.open = true; });
  }

  // One submit per form: a second tap while the first request is on its way does nothing.
  document.querySelectorAll("form.act, form.decide, form.inline-act").forEach((form) => {
    form.addEventListener("submit", (e) => {
      if (form.dataset.sending === "1") { e.preventDefault(); return; }
      form.dataset.sending = "1";
      setTimeout(() => { form.dataset.sending = ""; }, 8000);
    });
  });

  const bell = document.querySelector(".bell[data-count-url]");
  if (bell) {
    const badge = bell.querySelector("[data-unread]");
    const refresh = async () => {
      try {
        const resp = await fetch(bell.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!resp.ok) return;
        const body = await resp.json();
        const n = typeof body === "number" ? body : (body.unread_count ?? body.unread ?? body.count ?? 0);
        badge.textContent = n > 99 ? "99+" : String(n);
        badge.hidden = !n;
      } catch (e) { /* offline: keep the last count */ }
    };
    refresh();
    setInterval(refresh, 60000);
  }
})();
