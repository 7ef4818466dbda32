/* The Provenance page's file check: a file dropped anywhere on the page (or chosen in its
   field) is hashed here, in the reviewer's browser, slice by slice (assets/sha256.js), and
   only its SHA-256 goes to the server, which answers whether, when, by whom and in which
   dataset these bytes were recorded (dashboard/pages/provenance). The bytes never leave
   the machine; a 10 GB file is read 4 MiB at a time, never held whole.

   The page's root carries data-msg-hash: the ids of the store that receives the digest, the
   progress panel, bar, status line, stop button, file input and the tabs' store. Dash learns
   what happened through set_props. */
(function () {
  "use strict";

  var SLICE_BYTES = 4 * 1024 * 1024;
  var SHOW_EVERY_MS = 150;
  var current = null; // the hashing in progress: {cancelled}

  function config() {
    var holder = document.querySelector("[data-msg-hash]");
    return holder ? { root: holder, ids: JSON.parse(holder.getAttribute("data-msg-hash")) } : null;
  }

  function setProps(id, props) {
    var dc = window.dash_clientside;
    if (id && dc && dc.set_props) {
      dc.set_props(id, props);
    }
  }

  function bytes(n) {
    return window.msgFormatBytes ? window.msgFormatBytes(n) : n + " bytes";
  }

  function seconds(s) {
    if (!isFinite(s)) {
      return "";
    }
    s = Math.max(0, Math.round(s));
    return s < 60 ? s + " s" : Math.floor(s / 60) + " min " + (s % 60) + " s";
  }

  function show(ids, percent, label, message, running) {
    setProps(ids.panel, { style: {} });
    setProps(ids.bar, {
      value: percent,
      label: label,
      animated: running,
      striped: running,
      color: running ? "primary" : percent >= 100 ? "success" : "secondary",
    });
    setProps(ids.status, { children: message });
    setProps(ids.cancel, { disabled: !running });
  }

  function hashFile(ids, file) {
    if (current) {
      current.cancelled = true;
    }
    var run = { cancelled: false };
    current = run;
    var hasher = window.msgSha256.create();
    var size = file.size;
    var offset = 0;
    var started = performance.now();
    var shown = 0;
    setProps(ids.tabs, { data: ids.tab });
    setProps(ids.store, { data: null });
    show(ids, 0, "0 %", "Hashing " + file.name + " in this browser…", true);

    function progress(now) {
      var elapsed = (now - started) / 1000;
      var rate = elapsed > 0 ? offset / elapsed : 0;
      var percent = size ? Math.floor((100 * offset) / size) : 100;
      var left = rate > 0 ? (size - offset) / rate : Infinity;
      show(
        ids,
        percent,
        percent + " %",
        "Hashing " + file.name + ": " + bytes(offset) + " of " + bytes(size) +
          (rate > 0 ? ", " + bytes(rate) + "/s, " + seconds(left) + " left" : ""),
        true
      );
    }

    function finish() {
      var digest = hasher.hex();
      var took = (performance.now() - started) / 1000;
      current = null;
      show(ids, 100, "done", "Hashed " + file.name + " (" + bytes(size) + ") in " +
        took.toFixed(1) + " s; asking the server about its SHA-256…", false);
      setProps(ids.store, {
        data: { sha256: digest, name: file.name, size: size, seconds: took },
      });
    }

    function failed(error) {
      current = null;
      show(ids, 0, "stopped", "Could not read " + file.name + ": " + (error && error.message), false);
    }

    function step() {
      if (run.cancelled) {
        if (current === null || current === run) {
          current = null;
          show(ids, 0, "stopped", "Stopped hashing " + file.name + ".", false);
        }
        return;
      }
      if (offset >= size) {
        finish();
        return;
      }
      var end = Math.min(size, offset + SLICE_BYTES);
      file
        .slice(offset, end)
        .arrayBuffer()
        .then(function (buffer) {
          if (run.cancelled) {
            step();
            return;
          }
          hasher.update(new Uint8Array(buffer));
          offset = end;
          var now = performance.now();
          if (now - shown > SHOW_EVERY_MS && offset < size) {
            shown = now;
            progress(now);
          }
          // Yield between slices, so the page stays responsive and "Stop" is heard.
          window.setTimeout(step, 0);
        })
        .catch(failed);
    }

    step();
  }

  function fileOf(event) {
    var files = event.dataTransfer && event.dataTransfer.files;
    return files && files.length ? files[0] : null;
  }

  function carriesFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return Boolean(types && Array.prototype.indexOf.call(types, "Files") !== -1);
  }

  function setActive(cfg, active) {
    cfg.root.classList.toggle("msg-drop-active", active);
  }

  document.addEventListener("dragover", function (event) {
    var cfg = config();
    if (cfg && carriesFiles(event)) {
      event.preventDefault(); // without it the browser opens the file instead
      event.dataTransfer.dropEffect = "copy";
      setActive(cfg, true);
    }
  });

  document.addEventListener("dragleave", function (event) {
    var cfg = config();
    // Leaving the window (no element under the pointer any more) ends the hint.
    if (cfg && (!event.relatedTarget || !document.documentElement.contains(event.relatedTarget))) {
      setActive(cfg, false);
    }
  });

  document.addEventListener("drop", function (event) {
    var cfg = config();
    if (!cfg) {
      return;
    }
    setActive(cfg, false);
    var file = fileOf(event);
    if (file) {
      event.preventDefault();
      hashFile(cfg.ids, file);
    }
  });

  document.addEventListener("change", function (event) {
    var cfg = config();
    var input = event.target;
    if (cfg && input && input.id === cfg.ids.input && input.files && input.files.length) {
      hashFile(cfg.ids, input.files[0]);
      input.value = ""; // the same file picked again is hashed again
    }
  });

  document.addEventListener("click", function (event) {
    var cfg = config();
    if (cfg && current && event.target.closest && event.target.closest("#" + cfg.ids.cancel)) {
      current.cancelled = true;
    }
  });
})();
