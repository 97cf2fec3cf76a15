// Tiny progressive enhancements; everything works without them.
document.addEventListener("click", function (event) {
  var button = event.target.closest(".js-toggle-frames");
  if (!button) return;
  var stack = button.closest(".stack");
  var frames = stack.querySelectorAll("details.frame.library");
  var open = button.getAttribute("aria-pressed") !== "true";
  frames.forEach(function (frame) { frame.open = open; });
  button.setAttribute("aria-pressed", open ? "true" : "false");
  button.textContent = open ? "Collapse library frames" : "Show all frames";
});

// "Select all" in the issue list's header selects every row of the same form.
document.addEventListener("change", function (event) {
  if (!event.target.matches(".js-select-all")) return;
  var form = event.target.closest("form");
  form.querySelectorAll("input[name=issue]").forEach(function (box) {
    box.checked = event.target.checked;
  });
});

// ---- Environment choice (issue list and issue page): submit its GET form on change. ----
document.addEventListener("change", function (event) {
  if (!event.target.matches("select.js-autosubmit")) return;
  event.target.form.requestSubmit();
});
