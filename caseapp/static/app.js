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

// Assessment: choosing "Immediate danger" shows the emergency guidance at once.
function emergencyGuidance() {
  const slot = document.getElementById("emergency-slot");
  if (!slot) return;
  const update = () => {
    const chosen = document.querySelector('input[name="risk_level"]:checked');
    slot.hidden = !(chosen && chosen.value === "immediate_danger");
  };
  document.querySelectorAll('input[name="risk_level"]').forEach((radio) => radio.addEventListener("change", update));
  update();
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

document.addEventListener("DOMContentLoaded", () => {
  errorSummaryLabels();
  focusErrorSummary();
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
