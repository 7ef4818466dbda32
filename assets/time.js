/* Times: the server writes <time class="msg-time" datetime="…Z">2026-11-26 09:58 UTC</time>.
   This adds the relative time ("3 min ago") as a tooltip and, for users who chose local
   time (data-msg-time="local" on <html>), the local rendering via CSS (data-local), so
   React keeps owning the element's text. Grids format through window.msgTime.format. */
(function () {
  "use strict";
  var root = document.documentElement;
  var relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  var STEPS = [
    ["second", 60],
    ["minute", 60],
    ["hour", 24],
    ["day", 30],
    ["month", 12],
    ["year", Infinity],
  ];

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function utcText(date) {
    return (
      date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" + pad(date.getUTCDate()) +
      " " + pad(date.getUTCHours()) + ":" + pad(date.getUTCMinutes()) + " UTC"
    );
  }

  function zoneName(date) {
    var part = new Intl.DateTimeFormat("en", { timeZoneName: "short" })
      .formatToParts(date)
      .find(function (p) {
        return p.type === "timeZoneName";
      });
    return part ? part.value : "local";
  }

  function localText(date) {
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + " " + zoneName(date)
    );
  }

  function relative(date) {
    var value = (date.getTime() - Date.now()) / 1000;
    for (var i = 0; i < STEPS.length; i++) {
      if (Math.abs(value) < STEPS[i][1] || i === STEPS.length - 1) {
        return relativeFormat.format(Math.round(value), STEPS[i][0]);
      }
      value /= STEPS[i][1];
    }
    return "";
  }

  function isLocal() {
    return root.getAttribute("data-msg-time") === "local";
  }

  function parse(value) {
    if (!value) {
      return null;
    }
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

  /* For grids and other scripts: an ISO instant as the user wants to read it. */
  function format(value) {
    var date = parse(value);
    if (!date) {
      return value == null ? "" : String(value);
    }
    return isLocal() ? localText(date) : utcText(date);
  }

  function render(el) {
    var date = parse(el.getAttribute("datetime"));
    if (!date) {
      return;
    }
    el.setAttribute("data-local", localText(date));
    el.setAttribute("title", relative(date) + " · " + (isLocal() ? utcText(date) : localText(date)));
  }

  function renderAll() {
    document.querySelectorAll("time.msg-time").forEach(render);
  }

  window.msgTime = { format: format, relative: relative, isLocal: isLocal };
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1) {
          return;
        }
        if (node.matches("time.msg-time")) {
          render(node);
        }
        node.querySelectorAll("time.msg-time").forEach(render);
      });
    });
  }).observe(document.body, { childList: true, subtree: true });
  new MutationObserver(function () {
    renderAll();
    document.dispatchEvent(new CustomEvent("msg:time"));
  }).observe(root, { attributes: true, attributeFilter: ["data-msg-time"] });
  window.setInterval(renderAll, 60000);
  renderAll();
})();
