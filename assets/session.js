// When the session ends (logout elsewhere, password change, expiry), Dash callbacks get 401.
// Send the user to the login page instead of leaving a page that silently stops updating.
(function () {
  "use strict";
  var originalFetch = window.fetch;
  window.fetch = function (input, init) {
    return originalFetch.apply(this, arguments).then(function (response) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
