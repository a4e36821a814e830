// Enhancements only: every page works without them. Kept in a file of its own because the
// Content-Security-Policy refuses inline scripts.
"use strict";

// Error pages: "Back" returns to the page before when there is one, else to the start page.
document.querySelectorAll("a[data-back]").forEach(link => {
  link.addEventListener("click", event => {
    if (history.length > 1) { event.preventDefault(); history.back(); }
  });
});

// Uploads: drop a file on the form, and watch it go.
const drop = document.getElementById("drop"), input = document.getElementById("file");
if (drop && input) {
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); input.files = e.dataTransfer.files; });
  document.body.addEventListener("htmx:xhr:progress", e => {
    const bar = document.getElementById("progress");
    if (bar) { bar.hidden = false; bar.value = e.detail.total ? e.detail.loaded / e.detail.total * 100 : 0; }
  });
}
