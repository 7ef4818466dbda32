/* The Mutations page's browser half (dashboard/pages/mutations): a click on a call in the
   genome map selects its row in the calls table, on whichever page of the table's current
   sort and filter it is, and scrolls it into view. */
(function () {
  "use strict";

  function callId(click, graphId) {
    var point = click && click.points && click.points[0];
    if (!point) {
      return null;
    }
    if (point.customdata !== undefined && point.customdata !== null) {
      return Number(point.customdata);
    }
    // Plotly leaves typed-array customdata out of click events: read the graph's own data.
    var graph = document.getElementById(graphId);
    var gd = graph && (graph.classList.contains("js-plotly-plot") ? graph : graph.querySelector(".js-plotly-plot"));
    var trace = gd && gd._fullData && gd._fullData[point.curveNumber];
    var data = trace && trace.customdata;
    return data && data[point.pointNumber] !== undefined ? Number(data[point.pointNumber]) : null;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    msgMutations: {
      showCall: function (click, gridId) {
        var dc = window.dash_clientside;
        var chosen = callId(click, "mutations-map");
        var grids = window.dash_ag_grid;
        if (chosen === null || isNaN(chosen) || !grids) {
          return dc.no_update;
        }
        grids.getApiAsync(gridId).then(function (api) {
          var node = api && !api.isDestroyed() && api.getRowNode(String(chosen));
          if (!node || node.rowIndex === null) {
            return; // filtered out of the table
          }
          api.paginationGoToPage(Math.floor(node.rowIndex / api.paginationGetPageSize()));
          node.setSelected(true, true);
          api.ensureNodeVisible(node, "middle");
          var grid = document.getElementById(gridId);
          if (grid && grid.scrollIntoView) {
            grid.scrollIntoView({ block: "nearest", behavior: "smooth" });
          }
        });
        return chosen;
      },
    },
  });
})();
