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
