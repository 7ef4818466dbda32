/* The Trees page's browser half (dashboard/pages/trees).

   1. The upload form's file: when a file is chosen in the field whose host carries
      data-msg-tree-file, it is read here (FileReader, as a data: URL) and handed to Dash
      through set_props into the store the host names; the page's callback sends it to the
      service. Files over the page's limit are refused here, before any byte is sent.
   2. SVG and PNG of the figure as drawn: Plotly.downloadImage on the graph (no server
      round trip), named after the tree. */
(function () {
  "use strict";

  function setProps(id, props) {
    var dc = window.dash_clientside;
    if (id && dc && dc.set_props) {
      dc.set_props(id, props);
    }
  }

  function bytes(n) {
    return window.msgFormatBytes ? window.msgFormatBytes(n) : n + " bytes";
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.type !== "file") {
      return;
    }
    var holder = input.closest && input.closest("[data-msg-tree-file]");
    if (!holder) {
      return;
    }
    var cfg = JSON.parse(holder.getAttribute("data-msg-tree-file"));
    var file = input.files && input.files.length ? input.files[0] : null;
    if (!file) {
      setProps(cfg.store, { data: null });
      setProps(cfg.note, { children: "" });
      return;
    }
    if (file.size > cfg.max) {
      setProps(cfg.store, {
        data: {
          name: file.name,
          size: file.size,
          data: "",
          error:
            file.name + " is " + bytes(file.size) + "; the page takes up to " + bytes(cfg.max) +
            ". Upload it through the API (POST /api/v1/trees).",
        },
      });
      setProps(cfg.note, { children: "" });
      return;
    }
    setProps(cfg.note, { children: "Reading " + file.name + "…" });
    var reader = new FileReader();
    reader.onload = function () {
      setProps(cfg.store, { data: { name: file.name, size: file.size, data: reader.result } });
      setProps(cfg.note, { children: file.name + " (" + bytes(file.size) + ") is ready." });
    };
    reader.onerror = function () {
      setProps(cfg.store, {
        data: { name: file.name, size: file.size, data: "", error: file.name + " could not be read." },
      });
      setProps(cfg.note, { children: "" });
    };
    reader.readAsDataURL(file);
  });

  var msgTrees = {
    /* Clientside callback: the stable node id of a click on the figure. Plotly leaves
       customdata out of click events when it came as a typed array (the figure sends node
       ids that way), so it is read from the graph's own data. */
    clickedNode: function (click, graphId) {
      var dc = window.dash_clientside;
      var point = click && click.points && click.points[0];
      if (!point) {
        return dc.no_update;
      }
      if (point.customdata !== undefined && point.customdata !== null) {
        return Number(point.customdata);
      }
      var graph = document.getElementById(graphId);
      var gd = graph && graph.querySelector(".js-plotly-plot");
      var trace = gd && gd._fullData && gd._fullData[point.curveNumber];
      var data = trace && trace.customdata;
      if (!data || data[point.pointNumber] === undefined) {
        return dc.no_update;
      }
      return Number(data[point.pointNumber]);
    },
    /* Clientside callback: the SVG or PNG button was pressed. */
    downloadImage: function (_svg, _png, name, graphId) {
      var dc = window.dash_clientside;
      var triggered = (dc.callback_context && dc.callback_context.triggered) || [];
      var which = triggered.length ? String(triggered[0].prop_id) : "";
      var format = which.indexOf("-png.") >= 0 ? "png" : "svg";
      var graph = document.getElementById(graphId);
      var gd = graph && graph.querySelector(".js-plotly-plot");
      if (!gd || !window.Plotly) {
        return dc.no_update;
      }
      var size = gd._fullLayout || {};
      window.Plotly.downloadImage(gd, {
        format: format,
        filename: name || "tree",
        width: size.width || 1000,
        height: size.height || 700,
        scale: format === "png" ? 2 : 1,
      });
      return format + ":" + Date.now();
    },
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, { msgTrees: msgTrees });
})();
