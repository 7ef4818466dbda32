/* SHA-256 (FIPS 180-4), incremental, in plain JavaScript.

   The Provenance page hashes a dropped file in the reviewer's browser, so its bytes never
   leave the machine. crypto.subtle would do it faster, but it exists only in secure
   contexts (https or localhost: this app is often reached over plain http on a lab
   network) and cannot hash a file in pieces, so a 10 GB run would have to fit in memory.
   This one takes the file slice by slice (update() as often as needed, then hex()).
   WebAssembly builds (hash-wasm) are faster still but need 'wasm-unsafe-eval' in the
   Content-Security-Policy, which this app does not allow.

   Checked against the FIPS 180-2 vectors and Python's hashlib in
   tests/browser/test_provenance.py (and with node in tests/unit/dashboard/test_sha256_js.py).

     var h = msgSha256.create(); h.update(uint8array); ...; h.hex()  // "e3b0c442…"
     msgSha256.hex(uint8array)                                        // one piece        */
(function (root) {
  "use strict";

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
  ]);
  var INITIAL = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
    0x5be0cd19,
  ];

  /* Compress the 64-byte blocks of bytes[offset, end) into state h (end - offset is a
     multiple of 64). w is the 64-word message schedule, reused. */
  function blocks(h, w, bytes, offset, end) {
    var h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
    var i, t, t1, t2, a, b, c, d, e, f, g, hh, x, y;
    for (; offset < end; offset += 64) {
      for (i = 0; i < 16; i++) {
        t = offset + 4 * i;
        w[i] = (bytes[t] << 24) | (bytes[t + 1] << 16) | (bytes[t + 2] << 8) | bytes[t + 3];
      }
      for (i = 16; i < 64; i++) {
        x = w[i - 15];
        y = w[i - 2];
        w[i] =
          ((((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
            w[i - 7] +
            (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
            w[i - 16]) |
          0;
      }
      a = h0; b = h1; c = h2; d = h3; e = h4; f = h5; g = h6; hh = h7;
      for (i = 0; i < 64; i++) {
        t1 =
          (hh +
            (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
            ((e & f) ^ (~e & g)) +
            K[i] +
            w[i]) |
          0;
        t2 =
          ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
            ((a & b) ^ (a & c) ^ (b & c))) |
          0;
        hh = g; g = f; f = e; e = (d + t1) | 0;
        d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
  }

  function Sha256() {
    this.h = new Int32Array(INITIAL);
    this.w = new Int32Array(64);
    this.buffer = new Uint8Array(64); // a partial block carried to the next update
    this.buffered = 0;
    this.length = 0; // bytes so far (exact up to 2^53)
    this.done = false;
  }

  /* Add bytes (a Uint8Array or an ArrayBuffer); returns this. */
  Sha256.prototype.update = function (data) {
    if (this.done) {
      throw new Error("msgSha256: update() after hex()");
    }
    var bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    var n = bytes.length;
    var offset = 0;
    this.length += n;
    if (this.buffered > 0) {
      var take = Math.min(64 - this.buffered, n);
      this.buffer.set(bytes.subarray(0, take), this.buffered);
      this.buffered += take;
      offset = take;
      if (this.buffered < 64) {
        return this;
      }
      blocks(this.h, this.w, this.buffer, 0, 64);
      this.buffered = 0;
    }
    var whole = offset + ((n - offset) & ~63);
    if (whole > offset) {
      blocks(this.h, this.w, bytes, offset, whole);
    }
    if (whole < n) {
      this.buffer.set(bytes.subarray(whole, n), 0);
      this.buffered = n - whole;
    }
    return this;
  };

  /* Finish: the digest as 64 lower-case hexadecimal digits. */
  Sha256.prototype.hex = function () {
    if (!this.done) {
      var bits = this.length * 8;
      var tail = new Uint8Array(this.buffered < 56 ? 64 : 128);
      tail.set(this.buffer.subarray(0, this.buffered), 0);
      tail[this.buffered] = 0x80;
      var high = Math.floor(bits / 0x100000000);
      var low = bits >>> 0;
      var end = tail.length;
      tail[end - 8] = high >>> 24;
      tail[end - 7] = (high >>> 16) & 0xff;
      tail[end - 6] = (high >>> 8) & 0xff;
      tail[end - 5] = high & 0xff;
      tail[end - 4] = low >>> 24;
      tail[end - 3] = (low >>> 16) & 0xff;
      tail[end - 2] = (low >>> 8) & 0xff;
      tail[end - 1] = low & 0xff;
      blocks(this.h, this.w, tail, 0, end);
      this.done = true;
    }
    var out = "";
    for (var i = 0; i < 8; i++) {
      out += ("00000000" + (this.h[i] >>> 0).toString(16)).slice(-8);
    }
    return out;
  };

  var api = {
    create: function () {
      return new Sha256();
    },
    hex: function (data) {
      return new Sha256().update(data).hex();
    },
  };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.msgSha256 = api;
  }
})(typeof self !== "undefined" ? self : this);
