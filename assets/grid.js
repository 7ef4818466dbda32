/* The grids' toolbar actions (dashboard/components/grid.py registers them as clientside
   callbacks) and what every grid does on its own: re-format times when the user switches
   between UTC and local time. */
(function () {
  "use strict";

  function withApi(gridId, action) {
    var grids = window.dash_ag_grid;
    if (!grids || !gridId) {
      return;
    }
    grids.getApiAsync(gridId).then(function (api) {
      if (api && !api.isDestroyed()) {
        action(api);
      }
    });
  }

  var msgGrid = {
    /* Quick search over the rows in the browser. */
    quickFilter: function (text, gridId) {
      withApi(gridId, function (api) {
        api.setGridOption("quickFilterText", text || "");
      });
    },

    /* Rows fed by the server: any change of search or filters asks again from page 1.
       Arguments: the search text, the page's filter values, then the grid's id. */
    reload: function () {
      var gridId = arguments[arguments.length - 1];
      withApi(gridId, function (api) {
        api.paginationGoToPage(0);
        api.purgeInfiniteCache();
      });
    },

    /* The column chooser: ticked columns show, the others hide. */
    showColumns: function (visible, options, gridId) {
      var shown = visible || [];
      var all = (options || []).map(function (o) {
        return o.value;
      });
      withApi(gridId, function (api) {
        api.setColumnsVisible(
          all.filter(function (c) {
            return shown.indexOf(c) < 0;
          }),
          false
        );
        api.setColumnsVisible(shown, true);
      });
    },

    /* CSV of the rows that match, as the grid shows them (csvExportParams name the file). */
    exportCsv: function (clicks) {
      return Boolean(clicks);
    },
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, { msgGrid: msgGrid });

  /* Back and Forward between two views of the same list: Dash re-renders a page when its
     path or query changes, but it has not seen the query the grid wrote (the grid's own
     Location writes it without telling the router), so it may miss the change. Load the
     view the URL names. */
  var shownPath = window.location.pathname;
  window.addEventListener("_dashprivate_pushstate", function () {
    shownPath = window.location.pathname;
  });
  window.addEventListener("popstate", function () {
    var samePage = window.location.pathname === shownPath;
    shownPath = window.location.pathname;
    if (samePage && document.querySelector(".msg-grid")) {
      window.location.reload();
    }
  });

  /* Each grid, once drawn, pins its name column if the screen is a phone's (the grid's own
     gridSizeChanged listener keeps that up when the window changes). */
  var fitted = new WeakSet();
  function fit(el) {
    if (fitted.has(el)) {
      return;
    }
    fitted.add(el);
    withApi(el.id, function (api) {
      window.dashAgGridFunctions.msgFitToWidth({ api: api });
    });
  }
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1) {
          return;
        }
        if (node.matches(".msg-grid[id]")) {
          fit(node);
        }
        node.querySelectorAll(".msg-grid[id]").forEach(fit);
      });
    });
  }).observe(document.body, { childList: true, subtree: true });

  document.addEventListener("msg:time", function () {
    document.querySelectorAll(".msg-grid[id]").forEach(function (el) {
      withApi(el.id, function (api) {
        api.refreshCells({ force: true });
      });
    });
  });
})();
