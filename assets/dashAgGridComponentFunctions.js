/* Cell renderers and overlays of the app's grids (dashboard/components/grid.py).
   Values are user input (names): they become text nodes, never markup. */
(function () {
  "use strict";
  var components = (window.dashAgGridComponentFunctions =
    window.dashAgGridComponentFunctions || {});
  var h = React.createElement;
  var UNKNOWN = {
    label: null,
    icon: "question-circle",
    tone: "secondary",
    meaning: "A state this version does not know.",
  };

  function badge(look, label, key, title) {
    var tone = look ? look.tone : "light";
    return h(
      "span",
      {
        key: key,
        className: "badge msg-badge text-bg-" + tone + (look ? "" : " msg-tag"),
        title: title || (look ? look.meaning : undefined),
      },
      look ? h("i", { className: "bi bi-" + look.icon + " me-1", "aria-hidden": "true" }) : null,
      label
    );
  }

  /* One badge per state (or per label, with the states in params.stateField), from the
     status vocabulary the column carries in its params; neutral tags without one. The
     tooltip is the state's meaning, or the row's own words in params.titleField (a
     dataset's provenance detail: "Anchored in block 12 …"). */
  components.MsgBadge = function (props) {
    var value = props.value;
    if (value == null || value === "") {
      return null;
    }
    var values = Array.isArray(value) ? value : [value];
    var statuses = props.statuses || null;
    var states = props.stateField && props.data ? props.data[props.stateField] || [] : null;
    var title = props.titleField && props.data ? props.data[props.titleField] : null;
    return h(
      "span",
      { className: "msg-badges" },
      values.map(function (item, index) {
        var state = states ? states[index] : item;
        var look = statuses ? statuses[state] || UNKNOWN : null;
        var label = states ? String(item) : (look && look.label) || String(item);
        return badge(look, label, index, typeof title === "string" ? title : null);
      })
    );
  };

  /* Only the app's own paths are followed ("/experiments/3"), never "//host" or "javascript:". */
  function isAppPath(href) {
    return typeof href === "string" && /^\/(?![\/\\])/.test(href);
  }

  /* In-app navigation as dcc.Link does it: no page load, Dash routes the new path. */
  function follow(event, href) {
    if (event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    window.history.pushState({}, "", href);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }

  /* A name linking to its object; the link is in params.hrefField of the row. */
  components.MsgLink = function (props) {
    var text = props.value == null ? "" : String(props.value);
    var href = props.data && props.hrefField ? props.data[props.hrefField] : null;
    if (!isAppPath(href)) {
      return h("span", { className: "msg-cell-text" }, text);
    }
    return h(
      "a",
      {
        href: href,
        className: "msg-cell-link",
        onClick: function (event) {
          follow(event, href);
        },
      },
      text
    );
  };

  /* What an empty grid says (the message names the rows and suggests what to change). */
  components.MsgNoRows = function (props) {
    return h(
      "div",
      { className: "msg-grid-empty" },
      h("i", { className: "bi bi-search me-2", "aria-hidden": "true" }),
      props.message || "Nothing matches."
    );
  };
})();
