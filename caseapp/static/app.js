// Progressive enhancement only: every page works without this file.
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

function focusErrorSummary() {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
}

// Error summaries rendered without a label map (data-field-label): name each field by its label on the page, and
// turn a link to a field the page does not have into plain text.
function errorSummaryLabels() {
  document.querySelectorAll(".error-summary a[data-field-label]").forEach((link) => {
    const target = document.getElementById(link.getAttribute("href").slice(1));
    const label = target && (document.querySelector(`label[for="${target.id}"]`) || target.querySelector("legend"));
    if (!target) {
      const rest = link.nextSibling;
      if (rest && rest.nodeType === Node.TEXT_NODE) rest.textContent = rest.textContent.replace(/^:\s*/, "");
      link.remove();
    } else if (label) {
      const optional = label.querySelector(".optional");
      link.textContent = (optional ? label.textContent.replace(optional.textContent, "") : label.textContent).trim();
    }
  });
}

// Log a call: show the repeat-caller banner as the number is typed (server-rendered, escaped fragment).
function phoneLookup() {
  const input = document.querySelector("input[data-lookup]");
  const slot = document.getElementById("caller-banner");
  if (!input || !slot) return;
  let timer = null;
  let last = null;
  const lookup = async () => {
    const value = input.value.trim();
    if (value === last) return;
    last = value;
    const response = await fetch(`${input.dataset.lookup}?phone=${encodeURIComponent(value)}`, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (response.ok && input.value.trim() === value) slot.innerHTML = await response.text();
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, 250);
  });
  if (input.value.trim()) lookup();
}

// Log a call: the caller's details start from what is on record. When the banner finds a known caller, the fields
// the advisor has not touched take the recorded values, and each field's `__was` follows (the server saves only
// what differs from it). A consent changed from what is on record is spelled out before the call is logged.
function callerDetails() {
  const form = document.getElementById("log-call");
  const slot = document.getElementById("caller-banner");
  if (!form || !slot || form.querySelector('input[name="case_id"]')) return;
  const tracked = [...form.querySelectorAll("input[data-was-for]")];
  const notice = document.getElementById("consent-changes");
  const control = (name) => form.querySelector(`[name="${name}"]:not([type="hidden"])`);
  const read = (el) => (el.type === "checkbox" ? String(el.checked) : el.value);
  const write = (el, value) => {
    if (el.type === "checkbox") el.checked = value === "true";
    else el.value = value;
  };
  let fromRecord = tracked.some((was) => was.value !== was.dataset.default);
  const showChanges = () => {
    if (!notice) return;
    const changes = tracked
      .filter((was) => was.dataset.wasFor.startsWith("consent_"))
      .filter((was) => read(control(was.dataset.wasFor)) !== was.value)
      .map((was) => {
        const label = control(was.dataset.wasFor).closest("label").textContent.trim();
        return `${label}: ${was.value === "true" ? "agreed → not agreed" : "not agreed → agreed"}`;
      });
    notice.hidden = !(fromRecord && changes.length);
    notice.textContent = changes.length ? `Consent changes to be saved: ${changes.join("; ")}.` : "";
  };
  const apply = (record) => {
    fromRecord = record !== null;
    for (const was of tracked) {
      const name = was.dataset.wasFor;
      const el = control(name);
      const value = record && name in record ? record[name] : was.dataset.default;
      if (read(el) === was.value) write(el, value); // untouched: follow what is on record
      was.value = value;
    }
    showChanges();
  };
  new MutationObserver(() => {
    const banner = slot.querySelector("[data-caller]");
    apply(banner ? JSON.parse(banner.dataset.caller) : null);
  }).observe(slot, { childList: true });
  form.addEventListener("change", showChanges);
  showChanges();
}

// Log a call: save what is typed every few seconds, so a closed browser loses nothing.
function autosave() {
  const form = document.querySelector("form[data-autosave]");
  if (!form) return;
  const status = form.querySelector(".autosave-status");
  const idField = form.querySelector('input[name="draft_id"]');
  let dirty = false;
  let saving = false;
  form.addEventListener("input", () => { dirty = true; });
  form.addEventListener("change", () => { dirty = true; });
  form.addEventListener("submit", () => { dirty = false; });
  const collect = () => {
    const data = {};
    for (const [key, value] of new FormData(form)) {
      if (key === "csrf_token" || key === "draft_id" || key === "quick_type") continue;
      if (key in data) data[key] = [].concat(data[key], value);
      else data[key] = value;
    }
    for (const box of form.querySelectorAll('input[type="checkbox"]')) {
      if (box.name && !(box.name in data) && form.querySelectorAll(`input[name="${box.name}"]`).length > 1) data[box.name] = [];
    }
    return data;
  };
  const save = async () => {
    if (!dirty || saving) return;
    saving = true;
    dirty = false;
    const id = idField.value;
    try {
      const response = await fetch(id ? `${form.dataset.autosave}/${id}` : form.dataset.autosave, {
        method: id ? "PUT" : "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: JSON.stringify({ data: collect() }),
      });
      if (response.ok) {
        const draft = await response.json();
        idField.value = draft.id;
        status.textContent = `Draft saved ${new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })}`;
      } else {
        dirty = true;
        status.textContent = "Draft not saved; it will be retried.";
      }
    } catch (error) {
      dirty = true;
      status.textContent = "Offline: draft not saved yet.";
    } finally {
      saving = false;
    }
  };
  setInterval(save, 4000);
}

// Assessment: answering yes to immediate danger (or choosing that risk level) shows the emergency guidance and alerts the managers on shift at once,
// as its own request (the rest of the form may not be finished). The box says they were told only once they were.
function emergencyGuidance() {
  const slot = document.getElementById("emergency-slot");
  if (!slot) return;
  const status = document.getElementById("alert-status");
  const button = document.getElementById("raise-alert");
  let alerted = false;
  const raise = async () => {
    alerted = true;
    status.textContent = "Alerting the managers on shift…";
    try {
      const response = await fetch(button.dataset.alertApi, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      status.textContent = (await response.json()).summary;
    } catch (error) {
      alerted = false;
      status.textContent = "The alert could not be sent. Ring your shift manager now, and press the button to try again.";
    }
  };
  const inDanger = () =>
    Boolean(document.querySelector('input[name="immediate_danger"][value="true"]:checked')) ||
    Boolean(document.querySelector('input[name="risk_level"][value="immediate_danger"]:checked'));
  const update = () => {
    const danger = inDanger();
    slot.hidden = !danger;
    if (danger && !alerted) raise();
  };
  document
    .querySelectorAll('input[name="risk_level"], input[name="immediate_danger"]')
    .forEach((radio) => radio.addEventListener("change", update));
  button.addEventListener("click", (event) => {
    event.preventDefault();
    raise();
  });
  slot.hidden = !inDanger();
}

// The Admin menu in the top bar is a <details>: close it on Escape or a click outside it.
function navMenus() {
  const menus = document.querySelectorAll("details.nav-menu");
  if (!menus.length) return;
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus.forEach((menu) => {
      if (!menu.open) return;
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
}

function printButtons() {
  document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
}

// A masked number in a list: "Show" asks for it in full (the request is audited) and puts it in place.
function revealPhones() {
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.reveal-phone");
    if (!button) return;
    button.disabled = true;
    try {
      const response = await fetch(button.dataset.revealUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const masked = button.previousElementSibling;
      if (masked) masked.textContent = (await response.json()).display;
      button.remove();
    } catch (error) {
      button.disabled = false;
      button.textContent = "Could not show it: try again";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  revealPhones();
  errorSummaryLabels();
  focusErrorSummary();
  callerDetails();
  phoneLookup();
  autosave();
  emergencyGuidance();
  navMenus();
  printButtons();
});

// Callbacks: keep the "in 12 min" / "5 min overdue" countdowns current without reloading.
function countdowns() {
  const cells = document.querySelectorAll(".countdown[data-due]");
  if (!cells.length) return;
  const render = () => {
    const now = Date.now();
    cells.forEach((cell) => {
      const seconds = Math.round((Date.parse(cell.dataset.due) - now) / 1000);
      const minutes = Math.floor(Math.abs(seconds) / 60);
      const text = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min` : `${minutes} min`;
      cell.textContent = seconds >= 0 ? `in ${text}` : `${text} overdue`;
    });
  };
  render();
  setInterval(render, 30000);
}
document.addEventListener("DOMContentLoaded", countdowns);
