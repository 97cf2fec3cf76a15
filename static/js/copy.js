// Copy buttons: <button class="copy" data-copy-target="element-id"> copies that element's text.
(function () {
  "use strict";
  if (window.bugtrackCopyButtons) {
    return; // the script may be included by more than one partial on a page
  }
  window.bugtrackCopyButtons = true;

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallbackCopy(text);
      });
    }
    return fallbackCopy(text);
  }

  function flash(button, label) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = label;
    window.setTimeout(function () {
      button.textContent = original;
    }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.dataset.copyTarget);
    if (!source) {
      return;
    }
    copy(source.textContent).then(
      function () { flash(button, "Copied"); },
      function () { flash(button, "Press Ctrl+C"); }
    );
  });
})();
