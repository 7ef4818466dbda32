/* Files from the browser, without ever holding one in memory.

   - File fields (dashboard/components/file_input.py): each .msg-file-host gets a plain
     <input type=file> with the id its label points at; the input is marked is-invalid while
     its field's error slot holds a message (forms.js then sets aria-invalid and
     aria-describedby as for any field).
   - Chunked, resumable uploads (dashboard/pages/dataset_import.py): the page checks the
     details, then hands them over through a clientside callback (msgUpload.start). We open an
     upload (POST /api/v1/uploads), send File.slice pieces in order (PUT ?offset=N), show
     percent, MB sent, MB/s and time left, and on a network error or 5xx wait and ask the
     server where to continue (GET /api/v1/uploads/{id}). The upload's id is kept in
     localStorage under the file's name, size and date, so after a reload or a lost
     connection the same file picked again resumes from the server's count. When all bytes
     are in we ask for the import (POST .../complete) and hand the job to the page.
   The page learns what happened through set_props on its stores; the ids come from the
   panel's data-msg-upload attribute. */
(function () {
  "use strict";

  var API = "/api/v1/uploads";
  var KEY_PREFIX = "msg-upload:";
  var RETRY_DELAYS_S = [1, 2, 4, 8, 15, 30, 30, 30, 30, 30];
  var SHOW_EVERY_MS = 200;
  var RATE_WINDOW_MS = 8000;
  var running = null; // the upload in progress: {cancelled, xhr, uploadId, key}

  /* --- sizes, as dashboard/components/sizes.py writes them --------------------------------- */
  function formatBytes(n) {
    var units = [
      [1e12, "TB"],
      [1e9, "GB"],
      [1e6, "MB"],
      [1e3, "kB"],
    ];
    for (var i = 0; i < units.length; i++) {
      if (n >= units[i][0]) {
        var scaled = n / units[i][0];
        return (scaled < 100 ? scaled.toFixed(1) : Math.round(scaled).toLocaleString("en-US")) +
          " " + units[i][1];
      }
    }
    return n + (n === 1 ? " byte" : " bytes");
  }

  function formatDuration(seconds) {
    if (!isFinite(seconds)) {
      return "";
    }
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) {
      return seconds + " s";
    }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) {
      return minutes + " min " + (seconds % 60) + " s";
    }
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  /* --- file fields ----------------------------------------------------------------------- */
  function buildInput(host) {
    if (host.querySelector("input[type=file]")) {
      return;
    }
    var spec = JSON.parse(host.getAttribute("data-msg-file") || "{}");
    var input = document.createElement("input");
    input.type = "file";
    input.id = spec.id;
    input.className = "form-control msg-field-control";
    if (spec.accept) {
      input.accept = spec.accept;
    }
    input.required = Boolean(spec.required);
    host.appendChild(input);
  }

  function syncInvalid(host) {
    var input = host.querySelector("input[type=file]");
    var wrapper = host.closest(".msg-field");
    var error = wrapper && wrapper.querySelector(".msg-field-error");
    if (!input || !error) {
      return;
    }
    var invalid = error.textContent.trim() !== "";
    if (input.classList.contains("is-invalid") !== invalid) {
      input.classList.toggle("is-invalid", invalid);
    }
  }

  function syncHosts() {
    document.querySelectorAll(".msg-file-host").forEach(function (host) {
      buildInput(host);
      syncInvalid(host);
    });
  }

  /* Only changes inside a form field (an error shown or cleared) or that bring a file host
     (a page drawn) matter; grids and figures redraw often and are left alone. */
  function touchesFileField(record) {
    var node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
    if (node && node.closest && node.closest(".msg-field")) {
      return true;
    }
    for (var i = 0; i < record.addedNodes.length; i++) {
      var added = record.addedNodes[i];
      var isHost =
        added.nodeType === 1 &&
        (added.matches(".msg-file-host") || added.querySelector(".msg-file-host"));
      if (isHost) {
        return true;
      }
    }
    return false;
  }

  var scheduled = false;
  new MutationObserver(function (records) {
    if (!scheduled && records.some(touchesFileField)) {
      scheduled = true;
      window.requestAnimationFrame(function () {
        scheduled = false;
        syncHosts();
      });
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
  syncHosts();

  /* --- the page's ids and Dash ------------------------------------------------------------- */
  function config() {
    var holder = document.querySelector("[data-msg-upload]");
    return holder ? JSON.parse(holder.getAttribute("data-msg-upload")) : null;
  }

  function setProps(id, props) {
    var dc = window.dash_clientside;
    if (dc && dc.set_props) {
      dc.set_props(id, props);
    }
  }

  function report(cfg, event) {
    event.at = Date.now(); // every report is news, even one like the last
    setProps(cfg.event, { data: event });
  }

  function chosenFile(cfg) {
    var input = document.getElementById(cfg.fileInput);
    return input && input.files && input.files.length ? input.files[0] : null;
  }

  /* --- remembering uploads across reloads ------------------------------------------------ */
  function fileKey(file) {
    return KEY_PREFIX + JSON.stringify([file.name, file.size, file.lastModified]);
  }

  function remembered(key) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  function remember(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* private mode or full: the upload still works, it just cannot resume after a reload */
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      /* nothing kept */
    }
  }

  /* --- the API ------------------------------------------------------------------------------ */
  /* JSON in, {status, body} out; status 0 when the request never got an answer. */
  function api(method, path, body) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return window.fetch(path, init).then(
      function (response) {
        return response.text().then(function (text) {
          var parsed = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch (e) {
            parsed = null;
          }
          return { status: response.status, body: parsed };
        });
      },
      function () {
        return { status: 0, body: null };
      }
    );
  }

  /* One chunk with XMLHttpRequest, which reports the bytes sent as they go. */
  function putChunk(state, uploadId, offset, blob, onSent) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      state.xhr = xhr;
      xhr.open("PUT", API + "/" + encodeURIComponent(uploadId) + "?offset=" + offset);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        onSent(event.loaded);
      };
      xhr.onload = function () {
        var parsed = null;
        try {
          parsed = JSON.parse(xhr.responseText);
        } catch (e) {
          parsed = null;
        }
        resolve({ status: xhr.status, body: parsed });
      };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () {
        resolve({ status: 0, body: null });
      };
      xhr.send(blob);
    });
  }

  function messageOf(result, fallback) {
    var error = result.body && result.body.error;
    return (error && error.message) || fallback;
  }

  function sleep(state, seconds) {
    return new Promise(function (resolve) {
      var until = Date.now() + seconds * 1000;
      (function wait() {
        if (state.cancelled || Date.now() >= until) {
          resolve();
        } else {
          window.setTimeout(wait, 200);
        }
      })();
    });
  }

  /* --- what the user sees --------------------------------------------------------------------- */
  function Meter(cfg, total, start) {
    this.cfg = cfg;
    this.total = total;
    this.samples = [[Date.now(), start]];
    this.shownAt = 0;
  }

  Meter.prototype.show = function (sent, force) {
    var now = Date.now();
    if (!force && now - this.shownAt < SHOW_EVERY_MS) {
      return;
    }
    this.shownAt = now;
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > RATE_WINDOW_MS) {
      this.samples.shift();
    }
    var first = this.samples[0];
    var seconds = (now - first[0]) / 1000;
    var rate = seconds > 0.5 ? (sent - first[1]) / seconds : 0;
    var percent = this.total ? Math.floor((100 * sent) / this.total) : 100;
    var parts = [percent + " %", formatBytes(sent) + " of " + formatBytes(this.total)];
    if (rate > 0) {
      parts.push(formatBytes(rate) + "/s");
      if (sent < this.total) {
        parts.push("about " + formatDuration((this.total - sent) / rate) + " left");
      }
    }
    setProps(this.cfg.bar, { value: percent, label: percent + " %" });
    setProps(this.cfg.status, { children: parts.join(" · ") });
  };

  function say(cfg, text) {
    setProps(cfg.status, { children: text });
  }

  function openPanel(cfg, note) {
    setProps(cfg.panel, { hidden: false });
    setProps(cfg.note, { children: note || "" });
    setProps(cfg.bar, { value: 0, label: "", color: null, animated: true, striped: true });
    setProps(cfg.cancel, { disabled: false });
    setProps(cfg.submit, { disabled: true });
  }

  function closePanel(cfg) {
    setProps(cfg.panel, { hidden: true });
    setProps(cfg.submit, { disabled: false });
  }

  function markSaved(cfg) {
    var form = document.getElementById(cfg.form);
    if (form) {
      form.removeAttribute("data-msg-dirty");
    }
  }

  /* --- the upload ----------------------------------------------------------------------------- */
  async function resumable(saved, key) {
    /* The upload remembered for this file, as the server has it, if it can go on. */
    if (!saved || !saved.id) {
      return null;
    }
    var found = await api("GET", API + "/" + encodeURIComponent(saved.id));
    if (found.status !== 200 || !found.body) {
      forget(key);
      return null;
    }
    return found.body;
  }

  async function begin(cfg, state, file, start) {
    var key = fileKey(file);
    state.key = key;
    var saved = remembered(key);
    var upload = await resumable(saved, key);
    var note = "";
    if (upload && upload.job_id) {
      forget(key); // already complete and being imported: follow that job
      return { upload: upload, note: "" };
    }
    if (upload && saved.key !== start.key) {
      await api("DELETE", API + "/" + encodeURIComponent(upload.id));
      forget(key);
      upload = null;
      note =
        "The details differ from those of the interrupted upload, so the file is sent " +
        "again from the start.";
    } else if (upload) {
      note =
        "Resuming at " + formatBytes(upload.received) + " of " + formatBytes(upload.size) + ".";
    }
    if (!upload) {
      var body = Object.assign({ filename: file.name, size: file.size }, start.details);
      var opened = await api("POST", API, body);
      if (opened.status !== 201 || !opened.body) {
        var error = (opened.body && opened.body.error) || {};
        report(cfg, {
          kind: "refused",
          errors: error.errors || null,
          message: error.message || "The server refused the upload (HTTP " + opened.status + ").",
        });
        return null;
      }
      upload = opened.body;
      remember(key, { id: upload.id, key: start.key, details: start.details, at: Date.now() });
    }
    return { upload: upload, note: note };
  }

  /* Where the server stands; null when it cannot be asked now. */
  async function where(uploadId) {
    var found = await api("GET", API + "/" + encodeURIComponent(uploadId));
    return found.status === 200 && found.body ? found.body : found.status === 404 ? false : null;
  }

  async function send(cfg, state, file, upload) {
    /* Every byte from upload.received on; true when the server holds them all. */
    var chunk = Math.min(cfg.chunkBytes, upload.chunk_max_bytes || cfg.chunkBytes);
    var offset = upload.received;
    var meter = new Meter(cfg, file.size, offset);
    var failures = 0;
    meter.show(offset, true);
    while (offset < file.size) {
      if (state.cancelled) {
        return false;
      }
      var end = Math.min(offset + chunk, file.size);
      var base = offset;
      var result = await putChunk(state, upload.id, offset, file.slice(offset, end), function (n) {
        meter.show(base + n, false);
      });
      if (state.cancelled) {
        return false;
      }
      if (result.status === 200 && result.body) {
        offset = result.body.received;
        failures = 0;
        meter.show(offset, true);
        continue;
      }
      if (result.status === 401) {
        throw new Error(
          "Your session has ended. Log in again, then pick the same file: the upload goes " +
            "on from " + formatBytes(offset) + "."
        );
      }
      if (result.status === 404) {
        forget(state.key);
        throw new Error(
          "The server no longer has this upload (it expired or was cancelled); press " +
            "Import to send the file again."
        );
      }
      if (result.status !== 0 && result.status !== 409 && result.status < 500) {
        throw new Error(
          messageOf(result, "The server refused a piece (HTTP " + result.status + ").")
        );
      }
      // A lost connection, a server error or an offset the server did not expect: wait
      // (except after a 409, which the server answers at once), then ask where it stands.
      failures += 1;
      if (failures > RETRY_DELAYS_S.length) {
        throw new Error(
          "The connection to the server is lost. " + formatBytes(offset) + " of " +
            formatBytes(file.size) + " arrived; pick the same file and press Import to go on."
        );
      }
      if (result.status !== 409) {
        var delay = RETRY_DELAYS_S[failures - 1];
        say(
          cfg,
          "Connection lost at " + formatBytes(offset) + "; trying again in " + delay + " s…"
        );
        await sleep(state, delay);
      }
      var now = await where(upload.id);
      if (now === false) {
        forget(state.key);
        throw new Error(
          "The server no longer has this upload; press Import to send the file again."
        );
      }
      if (now) {
        offset = now.received;
        meter.show(offset, true);
      }
    }
    return true;
  }

  async function complete(cfg, state, uploadId) {
    say(cfg, "All " + formatBytes(state.size) + " sent; starting the import…");
    for (var attempt = 0; attempt <= RETRY_DELAYS_S.length; attempt++) {
      var done = await api("POST", API + "/" + encodeURIComponent(uploadId) + "/complete");
      if (done.status === 202 && done.body) {
        return done.body.id;
      }
      if (done.status !== 0 && done.status < 500) {
        throw new Error(messageOf(done, "The import could not start (HTTP " + done.status + ")."));
      }
      if (state.cancelled) {
        return null;
      }
      await sleep(state, RETRY_DELAYS_S[Math.min(attempt, RETRY_DELAYS_S.length - 1)]);
    }
    throw new Error("The server did not answer; press Import again to start the import.");
  }

  async function run(cfg, start) {
    var file = chosenFile(cfg);
    if (!file || file.name !== start.filename || file.size !== start.size) {
      report(cfg, { kind: "failed", message: "Choose the file again: it changed after Import." });
      return;
    }
    if (running) {
      return; // one upload at a time on a page
    }
    var state = { cancelled: false, xhr: null, uploadId: null, key: null, size: file.size };
    running = state;
    openPanel(cfg, "");
    say(cfg, "Opening the upload…");
    try {
      var opened = await begin(cfg, state, file, start);
      if (!opened) {
        closePanel(cfg);
        return;
      }
      state.uploadId = opened.upload.id;
      if (state.cancelled) {
        await api("DELETE", API + "/" + encodeURIComponent(state.uploadId));
        forget(state.key);
        return;
      }
      setProps(cfg.note, { children: opened.note });
      var jobId = opened.upload.job_id;
      if (!jobId) {
        var sent = await send(cfg, state, file, opened.upload);
        if (!sent) {
          return; // cancelled: cancel() tidied up
        }
        setProps(cfg.cancel, { disabled: true });
        jobId = await complete(cfg, state, opened.upload.id);
        if (!jobId) {
          return;
        }
      }
      forget(state.key);
      markSaved(cfg);
      setProps(cfg.cancel, { disabled: true });
      setProps(cfg.bar, {
        value: 100,
        label: "sent",
        color: "success",
        animated: false,
        striped: false,
      });
      say(cfg, "All " + formatBytes(file.size) + " sent.");
      report(cfg, { kind: "started", job_id: jobId });
    } catch (error) {
      closePanel(cfg);
      report(cfg, { kind: "failed", message: error.message || String(error) });
    } finally {
      if (running === state) {
        running = null;
      }
    }
  }

  async function cancel(cfg) {
    var state = running;
    if (!state) {
      return;
    }
    state.cancelled = true;
    if (state.xhr) {
      state.xhr.abort();
    }
    setProps(cfg.cancel, { disabled: true });
    say(cfg, "Cancelling…");
    if (state.uploadId) {
      await api("DELETE", API + "/" + encodeURIComponent(state.uploadId));
    }
    if (state.key) {
      forget(state.key);
    }
    closePanel(cfg);
    report(cfg, { kind: "cancelled" });
  }

  /* A file picked: tell the page, and whether an interrupted upload of it can go on. */
  async function picked(cfg, input) {
    var file = input.files && input.files.length ? input.files[0] : null;
    setProps(cfg.fileNote, { children: "" });
    if (!file) {
      setProps(cfg.fileInfo, { data: null });
      return;
    }
    var info = { name: file.name, size: file.size, lastModified: file.lastModified };
    var key = fileKey(file);
    var saved = remembered(key);
    var upload = await resumable(saved, key);
    if (upload && !upload.job_id && upload.size === file.size) {
      info.resumable = {
        id: upload.id,
        received: upload.received,
        size: upload.size,
        details: saved.details,
      };
    }
    setProps(cfg.fileInfo, { data: info });
  }

  document.addEventListener("change", function (event) {
    var cfg = config();
    if (cfg && event.target && event.target.id === cfg.fileInput) {
      picked(cfg, event.target);
    }
  });

  document.addEventListener("click", function (event) {
    var cfg = config();
    var button = cfg && event.target.closest && event.target.closest("#" + cfg.cancel);
    if (button) {
      cancel(cfg);
    }
  });

  var msgUpload = {
    /* The clientside callback of the page's START store: the checked details. */
    start: function (start) {
      var cfg = config();
      if (cfg && start && start.nonce) {
        run(cfg, start);
      }
      return window.dash_clientside.no_update;
    },
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, { msgUpload: msgUpload });
  window.msgFormatBytes = formatBytes;
})();
