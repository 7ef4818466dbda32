/* Starts Swagger UI on the page /api/v1/docs (a static file: the Content-Security-Policy
   runs no inline script). Inside the app's "API reference" page it also takes the app's
   colour scheme and grows its frame to fit, so the page scrolls as one. */
(function () {
  "use strict";
  var root = document.documentElement;
  var container = document.getElementById("swagger-ui");

  function sameOriginParent() {
    try {
      return window.parent !== window && window.frameElement ? window.parent : null;
    } catch (error) {
      return null; // framed by another origin: nothing of the parent is readable
    }
  }

  function useScheme(scheme) {
    if (scheme !== "light" && scheme !== "dark") {
      return;
    }
    if (window.msgTheme) {
      window.msgTheme.set(scheme); // an explicit choice: the system setting no longer moves it
    } else {
      root.setAttribute("data-bs-theme", scheme);
    }
  }

  function fitFrame() {
    var frame = window.frameElement;
    if (frame) {
      frame.style.height = Math.ceil(document.body.getBoundingClientRect().height) + "px";
    }
  }

  // Swagger UI's own dark theme hangs on html.dark-mode; ours on data-bs-theme.
  function syncDarkMode() {
    root.classList.toggle("dark-mode", root.getAttribute("data-bs-theme") === "dark");
  }
  syncDarkMode();
  new MutationObserver(syncDarkMode).observe(root, {
    attributes: true,
    attributeFilter: ["data-bs-theme"],
  });

  var parent = sameOriginParent();
  if (parent) {
    var parentRoot = parent.document.documentElement;
    useScheme(parentRoot.getAttribute("data-bs-theme"));
    parentRoot.addEventListener("msg:scheme", function (event) {
      useScheme(event.detail);
    });
    if (window.ResizeObserver) {
      new ResizeObserver(fitFrame).observe(document.body);
    }
  }

  // Names Swagger UI leaves out, for screen readers (axe: button-name, label,
  // label-content-name-mismatch). Its parts come and go as operations open, so watch.
  var NAMES = [
    [".swagger-ui .close-modal", "Close"],
    [".swagger-ui textarea.body-param__text", "Request body"],
    [".swagger-ui .filter .operation-filter-input", "Filter by tag or path"],
  ];
  function nameControls() {
    NAMES.forEach(function (pair) {
      document.querySelectorAll(pair[0]).forEach(function (element) {
        if (element.getAttribute("aria-label") !== pair[1]) {
          element.setAttribute("aria-label", pair[1]);
        }
      });
    });
    // "Authorize" buttons announced as "Apply credentials": speech users say what they see.
    document.querySelectorAll('.swagger-ui .auth-btn-wrapper [aria-label="Apply credentials"]')
      .forEach(function (button) {
        button.removeAttribute("aria-label");
      });
  }
  new MutationObserver(nameControls).observe(container, { childList: true, subtree: true });

  window.ui = window.SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    domNode: container,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Off: its links sit inside each operation's toggle button (nested controls, which
    // screen readers cannot reach), and inside the app's frame they name no page anyway.
    deepLinking: false,
    filter: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    // Its default code colours fall below 4.5:1 contrast in places; this theme does not.
    syntaxHighlight: { theme: "tomorrow-night" },
    // No badge fetched from an online validator: nothing may leave this server.
    validatorUrl: null,
    // Calls go to this server with the browser's login cookie, like the app's own.
    requestInterceptor: function (request) {
      request.credentials = "same-origin";
      return request;
    },
  });
})();
