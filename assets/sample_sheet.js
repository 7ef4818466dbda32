/* A sample sheet (ISA-Tab-style TSV) sent from the experiment page: the chosen file is the
   body of POST /api/v1/experiments/{id}/samples.tsv; the answer (samples created, updated,
   unchanged, or the line that is wrong) shows beside the file field. The ids come from the
   holder's data-msg-sheet attribute (dashboard/pages/experiment.py). */
(function () {
  "use strict";

  function setProps(id, props) {
    var dc = window.dash_clientside;
    if (dc && dc.set_props) {
      dc.set_props(id, props);
    }
  }

  function plural(count, noun) {
    return count + " " + noun + (count === 1 ? "" : "s");
  }

  function summary(body) {
    var created = (body.created || []).length;
    var updated = (body.updated || []).length;
    var unchanged = (body.unchanged || []).length;
    return (
      "Sheet imported: " + plural(created, "sample") + " created, " + updated + " updated, " +
      unchanged + " unchanged."
    );
  }

  function show(cfg, ok, text) {
    setProps(cfg.result, { children: ok ? text : "" });
    setProps(cfg.error, {
      children: ok ? null : text,
      className: "invalid-feedback msg-field-error" + (ok ? "" : " d-block"),
    });
  }

  async function send(cfg) {
    var input = document.getElementById(cfg.input);
    var file = input && input.files && input.files.length ? input.files[0] : null;
    if (!file) {
      show(cfg, false, "Choose the sample sheet (a .tsv file) first.");
      return;
    }
    setProps(cfg.button, { disabled: true });
    setProps(cfg.result, { children: "Importing " + file.name + "…" });
    try {
      var response = await window.fetch(cfg.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "text/tab-separated-values", Accept: "application/json" },
        body: file,
      });
      var body = null;
      try {
        body = await response.json();
      } catch (e) {
        body = null;
      }
      if (response.ok && body) {
        show(cfg, true, summary(body));
      } else {
        var error = (body && body.error) || {};
        show(cfg, false, error.message || "The sheet was refused (HTTP " + response.status + ").");
      }
    } catch (e) {
      show(cfg, false, "The server could not be reached; try again.");
    } finally {
      setProps(cfg.button, { disabled: false });
    }
  }

  document.addEventListener("click", function (event) {
    var holder = event.target.closest && event.target.closest("[data-msg-sheet]");
    if (!holder) {
      return;
    }
    var cfg = JSON.parse(holder.getAttribute("data-msg-sheet"));
    if (event.target.closest("#" + cfg.button)) {
      event.preventDefault();
      send(cfg);
    }
  });
})();
