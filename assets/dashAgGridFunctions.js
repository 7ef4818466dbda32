/* Functions the grids name in their column definitions and event listeners
   (dashboard/components/grid.py). dash-ag-grid evaluates those strings safely, with this
   object's members in scope. */
(function () {
  "use strict";
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  var PHONE_MAX_PX = 576; // Bootstrap's "sm": below it the name column is pinned

  /* An ISO instant as the user reads times (UTC or local, assets/time.js). */
  dagfuncs.msgTime = function (value) {
    if (!value) {
      return "";
    }
    return window.msgTime ? window.msgTime.format(value) : String(value);
  };

  /* "3 min ago · 2026-11-26 10:58 CET": the relative time and the other rendering. */
  dagfuncs.msgTimeTooltip = function (value) {
    var date = value ? new Date(value) : null;
    if (!date || isNaN(date.getTime()) || !window.msgTime) {
      return value ? String(value) : "";
    }
    return window.msgTime.relative(date) + " · " + dagfuncs.msgTime(value);
  };

  /* The date filter compares calendar days in UTC, the days the app shows by default. */
  dagfuncs.msgDateComparator = function (filterDate, cellValue) {
    var date = cellValue ? new Date(cellValue) : null;
    if (!date || isNaN(date.getTime())) {
      return -1;
    }
    var cell = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    var wanted = Date.UTC(filterDate.getFullYear(), filterDate.getMonth(), filterDate.getDate());
    return cell < wanted ? -1 : cell > wanted ? 1 : 0;
  };

  /* A list value (roles, arms) as one line of text: for search, filters and CSV. */
  dagfuncs.msgJoin = function (value) {
    if (value == null) {
      return "";
    }
    return Array.isArray(value) ? value.join(", ") : String(value);
  };

  /* Rows that open (users, audit events): a click, or Enter on a focused cell, reports the
     row's id as the grid's eventData. A click on a link inside the row follows the link. */
  dagfuncs.msgOpenRow = function (params, setEventData) {
    var event = params.event;
    if (!params.data || !event) {
      return;
    }
    if (event.type === "keydown" && event.key !== "Enter") {
      return;
    }
    if (event.target && event.target.closest && event.target.closest("a")) {
      return;
    }
    setEventData({ id: params.data.id, opened: Date.now() });
  };

  /* On a phone the name column is pinned left and the others scroll beside it; on wider
     screens nothing is pinned. */
  dagfuncs.msgFitToWidth = function (params) {
    var api = params.api;
    if (!api || api.isDestroyed()) {
      return;
    }
    var narrow = window.innerWidth < PHONE_MAX_PX;
    var names = (api.getColumns() || []).filter(function (column) {
      var context = column.getColDef().context;
      return context && context.pinOnPhone;
    });
    var want = narrow ? "left" : null;
    var change = names.filter(function (column) {
      return (column.getPinned() || null) !== want;
    });
    if (change.length) {
      api.setColumnsPinned(change, want);
    }
  };
})();
