/* The form pattern's behaviour in the browser (dashboard/components/forms.py builds the forms).

   - Accessibility Dash components cannot carry themselves: each control of a .msg-field gets
     aria-invalid="true" while it is .is-invalid, aria-required="true" when required, and
     aria-describedby pointing at its help text and (when shown) its error message.
   - A refused submit fills the role="alert" summary; focus moves to it, and each of its links
     moves focus to the field it names.
   - The browser never submits a .msg-form itself: Enter in a field "clicks" the submit button
     (implicit submission), whose n_clicks drives the page's callback; the submit event that
     follows is cancelled.
   - Unsaved changes: typing in a form marked data-msg-dirty-check sets data-msg-dirty="true";
     leaving the page (reload, close, another site) then asks first (beforeunload), and so does
     following an in-app link, with the form's data-msg-dirty-message.
   - Repeated rows (.msg-repeat): after "Add", focus goes to the new row's first field; after
     "Remove", to the "Add" button. */
(function () {
  "use strict";
  var FORM = "form.msg-form";
  var CONTROL = ".msg-field-control";
  var pendingSummaryFocus = null;
  var pendingRepeat = null;

  /* --- aria state of every field ---------------------------------------------------------- */
  function syncField(wrapper) {
    var control = wrapper.querySelector(CONTROL);
    if (!control) {
      return;
    }
    var help = wrapper.querySelector(".msg-field-help");
    var error = wrapper.querySelector(".msg-field-error");
    var invalid = control.classList.contains("is-invalid");
    var described = [];
    if (help && help.id) {
      described.push(help.id);
    }
    if (invalid && error && error.id && error.textContent.trim()) {
      described.push(error.id);
    }
    setAttr(control, "aria-describedby", described.length ? described.join(" ") : null);
    setAttr(control, "aria-invalid", invalid ? "true" : null);
    setAttr(control, "aria-required", control.required ? "true" : null);
  }

  function setAttr(el, name, value) {
    if (value === null) {
      if (el.hasAttribute(name)) {
        el.removeAttribute(name);
      }
    } else if (el.getAttribute(name) !== value) {
      el.setAttribute(name, value);
    }
  }

  var scheduled = false;
  function syncAll() {
    scheduled = false;
    document.querySelectorAll(FORM + " .msg-field").forEach(syncField);
    focusSummaryIfFilled();
    focusAfterRepeat();
  }

  function schedule() {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(syncAll);
    }
  }

  /* --- the error summary ------------------------------------------------------------------ */
  function focusSummaryIfFilled() {
    if (!pendingSummaryFocus) {
      return;
    }
    var summary = pendingSummaryFocus.querySelector(".msg-error-summary");
    if (summary && summary.textContent.trim()) {
      pendingSummaryFocus = null;
      summary.focus();
      summary.scrollIntoView({ block: "nearest" });
    }
  }

  function focusField(form, name) {
    var wrappers = form.querySelectorAll(".msg-field[data-msg-field]");
    for (var i = 0; i < wrappers.length; i++) {
      if (wrappers[i].getAttribute("data-msg-field") === name) {
        var target =
          wrappers[i].querySelector(CONTROL) ||
          wrappers[i].parentElement.querySelector("input, select, textarea, button");
        if (target) {
          target.focus();
          target.scrollIntoView({ block: "center" });
          return true;
        }
      }
    }
    return false;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.msg-error-link");
    if (link) {
      var form = link.closest(FORM);
      if (form && focusField(form, link.getAttribute("data-msg-focus-field"))) {
        event.preventDefault();
      }
      return;
    }
    var submit = event.target.closest && event.target.closest(".msg-form-submit");
    if (submit) {
      pendingSummaryFocus = submit.closest(FORM);
    }
    var add = event.target.closest && event.target.closest(".msg-repeat-add");
    var remove = event.target.closest && event.target.closest(".msg-repeat-remove");
    var button = add || remove;
    if (button) {
      var repeat = button.closest(".msg-repeat");
      markDirty(button.closest(FORM));
      if (repeat) {
        pendingRepeat = {
          repeat: repeat,
          isAdd: Boolean(add),
          count: repeat.querySelectorAll(".msg-repeat-item").length,
        };
      }
    }
  });

  /* --- repeated rows: keep focus where the keyboard user is ------------------------------ */
  function focusAfterRepeat() {
    if (!pendingRepeat || !document.body.contains(pendingRepeat.repeat)) {
      pendingRepeat = null;
      return;
    }
    var items = pendingRepeat.repeat.querySelectorAll(".msg-repeat-item");
    if (pendingRepeat.isAdd && items.length > pendingRepeat.count) {
      var first = items[items.length - 1].querySelector(CONTROL);
      pendingRepeat = null;
      if (first) {
        first.focus();
      }
    } else if (!pendingRepeat.isAdd && items.length < pendingRepeat.count) {
      var addButton = pendingRepeat.repeat.querySelector(".msg-repeat-add");
      pendingRepeat = null;
      if (addButton) {
        addButton.focus();
      }
    }
  }

  /* --- never a native submit -------------------------------------------------------------- */
  document.addEventListener(
    "submit",
    function (event) {
      if (event.target.matches && event.target.matches(FORM)) {
        event.preventDefault();
      }
    },
    true
  );

  /* --- unsaved changes ------------------------------------------------------------------- */
  function markDirty(form) {
    if (form && form.hasAttribute("data-msg-dirty-check")) {
      form.setAttribute("data-msg-dirty", "true");
    }
  }

  function onEdit(event) {
    var form = event.target.closest && event.target.closest(FORM);
    markDirty(form);
  }

  document.addEventListener("input", onEdit, true);
  document.addEventListener("change", onEdit, true);

  function dirtyForm() {
    return document.querySelector(FORM + '[data-msg-dirty="true"]');
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirtyForm()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  /* In-app links (dcc.Link) change the page without unloading: ask before they do. */
  window.addEventListener(
    "click",
    function (event) {
      var form = dirtyForm();
      if (!form || event.defaultPrevented || event.button !== 0) {
        return;
      }
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return; // opens a new tab or window: this page stays
      }
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || link.target === "_blank" || link.hasAttribute("download")) {
        return;
      }
      var url = new URL(link.href, window.location.href);
      var samePage =
        url.origin === window.location.origin &&
        url.pathname === window.location.pathname &&
        url.search === window.location.search;
      if (samePage) {
        return; // a fragment on this page (the error summary's links, the skip link)
      }
      var message = form.getAttribute("data-msg-dirty-message") || "Leave without saving?";
      if (window.confirm(message)) {
        form.removeAttribute("data-msg-dirty");
      } else {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  new MutationObserver(schedule).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["class"],
  });
  schedule();
})();
