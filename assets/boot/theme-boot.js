/* Runs in <head>, before the first paint: resolve the user's theme choice ("system",
   "light" or "dark", from data-msg-theme on <html>) to a colour scheme, so a dark page
   never flashes white. Bootstrap reads data-bs-theme, AG Grid data-ag-theme-mode; the
   cookie tells the server which scheme to draw figures in. */
(function () {
  "use strict";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function resolve() {
    var choice = root.getAttribute("data-msg-theme") || "system";
    if (choice === "light" || choice === "dark") {
      return choice;
    }
    return media && media.matches ? "dark" : "light";
  }

  function apply() {
    var scheme = resolve();
    var changed = root.getAttribute("data-bs-theme") !== scheme;
    root.setAttribute("data-bs-theme", scheme);
    root.setAttribute("data-ag-theme-mode", scheme);
    document.cookie = "msg_scheme=" + scheme + "; path=/; max-age=31536000; SameSite=Lax";
    if (changed) {
      root.dispatchEvent(new CustomEvent("msg:scheme", { detail: scheme }));
    }
    return scheme;
  }

  window.msgTheme = {
    scheme: resolve,
    apply: apply,
    set: function (choice) {
      root.setAttribute("data-msg-theme", choice);
      return apply();
    },
  };
  apply();
  if (media) {
    media.addEventListener("change", apply);
  }
})();
