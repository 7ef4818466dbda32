/* Keeps every Plotly figure in the page's colour scheme: on a scheme change, and for each
   figure as it is drawn (a figure built for the other scheme is re-coloured once). The
   palettes come from the frame (dashboard/components/theme.py, PLOT_PALETTES). */
(function () {
  "use strict";
  var root = document.documentElement;

  function palettes() {
    var holder = document.getElementById("msg-plot-palettes");
    if (!holder) {
      return null;
    }
    try {
      return JSON.parse(holder.getAttribute("data-palettes"));
    } catch (e) {
      return null;
    }
  }

  function patchFor(gd, colours) {
    var patch = {
      "font.color": colours.font,
      "paper_bgcolor": "rgba(0,0,0,0)",
      "plot_bgcolor": "rgba(0,0,0,0)",
      "hoverlabel.bgcolor": colours.hover,
      "hoverlabel.font.color": colours.font,
    };
    Object.keys(gd.layout || {}).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        patch[key + ".gridcolor"] = colours.grid;
        patch[key + ".linecolor"] = colours.line;
        patch[key + ".zerolinecolor"] = colours.line;
      }
    });
    return patch;
  }

  function recolour(gd) {
    var all = palettes();
    if (!all || !window.Plotly || !gd.layout) {
      return;
    }
    var colours = all[root.getAttribute("data-bs-theme") === "dark" ? "dark" : "light"];
    var font = gd.layout.font && gd.layout.font.color;
    if (font !== colours.font) {
      window.Plotly.relayout(gd, patchFor(gd, colours));
    }
  }

  function recolourAll() {
    document.querySelectorAll(".js-plotly-plot").forEach(recolour);
  }

  function watch(gd) {
    if (gd.msgThemed) {
      return;
    }
    gd.msgThemed = true;
    if (gd.on) {
      gd.on("plotly_afterplot", function () {
        recolour(gd);
      });
    }
    recolour(gd);
  }

  root.addEventListener("msg:scheme", recolourAll);
  // Only what was added is searched: grids mutate the page constantly, and a whole-document
  // query on every mutation would be work on the hot path for nothing.
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      // Plotly draws into a div that is already there (it gains the class and children).
      var host = record.target.closest && record.target.closest(".js-plotly-plot");
      if (host) {
        watch(host);
      }
      record.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1) {
          return;
        }
        if (node.classList.contains("js-plotly-plot")) {
          watch(node);
        }
        node.querySelectorAll(".js-plotly-plot").forEach(watch);
      });
    });
  }).observe(document.body, { childList: true, subtree: true });
  document.querySelectorAll(".js-plotly-plot").forEach(watch);
})();
