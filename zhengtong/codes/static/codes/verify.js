/* Code verifier page: posts to the API, or verifies in the browser with WebCrypto (ECDSA P-256)
   against the downloaded trust lists. Same reasons as the server's pipeline. No data is kept. */
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  if (!form) { return; }
  var out = document.getElementById("verify-result");
  var t = JSON.parse(document.getElementById("verify-i18n").textContent);
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  function Fail(reason, detail) { this.reason = reason; this.detail = detail || ""; }

  function b45decode(s) {
    var out = [];
    for (var i = 0; i < s.length; i += 3) {
      var chunk = s.substr(i, 3), n = 0, f = 1;
      for (var j = 0; j < chunk.length; j++) {
        var v = B45.indexOf(chunk[j]);
        if (v < 0) { throw new Fail("bad_base45", "invalid character"); }
        n += v * f; f *= 45;
      }
      if (chunk.length === 3) {
        if (n > 0xffff) { throw new Fail("bad_base45", "value out of range"); }
        out.push(n >> 8, n & 0xff);
      } else if (chunk.length === 2) {
        if (n > 0xff) { throw new Fail("bad_base45", "value out of range"); }
        out.push(n);
      } else { throw new Fail("bad_base45", "truncated"); }
    }
    return new Uint8Array(out);
  }

  async function inflate(bytes, cap) {
    if (typeof DecompressionStream === "undefined") { throw new Fail("bad_zlib", "browser lacks DecompressionStream"); }
    var reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
    var chunks = [], total = 0;
    try {
      for (;;) {
        var r = await reader.read();
        if (r.done) { break; }
        total += r.value.length;
        if (total > cap) { reader.cancel(); throw new Fail("zlib_bomb", "more than " + cap + " bytes"); }
        chunks.push(r.value);
      }
    } catch (e) { if (e instanceof Fail) { throw e; } throw new Fail("bad_zlib", String(e)); }
    var buf = new Uint8Array(total), off = 0;
    chunks.forEach(function (c) { buf.set(c, off); off += c.length; });
    return buf;
  }

  function cborDecode(bytes) {
    var pos = 0;
    function need(n) { if (pos + n > bytes.length) { throw new Fail("bad_cbor", "truncated"); } }
    function uint(info) {
      if (info < 24) { return info; }
      var len = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!len) { throw new Fail("bad_cbor", "bad length"); }
      need(len); var v = 0;
      for (var i = 0; i < len; i++) { v = v * 256 + bytes[pos++]; }
      return v;
    }
    function item() {
      need(1);
      var b = bytes[pos++], major = b >> 5, info = b & 31;
      if (major === 7) {
        if (info === 20) { return false; } if (info === 21) { return true; } if (info === 22) { return null; }
        throw new Fail("bad_cbor", "unsupported simple value");
      }
      var n = uint(info);
      if (major === 0) { return n; }
      if (major === 1) { return -1 - n; }
      if (major === 2) { need(n); var v = bytes.slice(pos, pos + n); pos += n; return v; }
      if (major === 3) { need(n); var s = new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(pos, pos + n)); pos += n; return s; }
      if (major === 4) { var a = []; for (var i = 0; i < n; i++) { a.push(item()); } return a; }
      if (major === 5) { var m = new Map(); for (var k = 0; k < n; k++) { var key = item(); m.set(key, item()); } return m; }
      if (major === 6) { return { tag: n, value: item() }; }
      throw new Fail("bad_cbor", "unsupported item");
    }
    var v = item();
    if (pos !== bytes.length) { throw new Fail("bad_cbor", "trailing bytes"); }
    return v;
  }

  function bstrHeader(major, n) {
    if (n < 24) { return [(major << 5) | n]; }
    if (n < 256) { return [(major << 5) | 24, n]; }
    return [(major << 5) | 25, n >> 8, n & 0xff];
  }
  function sigStructure(protectedBytes, payload) {
    var parts = [0x84].concat(bstrHeader(3, 10), Array.from(new TextEncoder().encode("Signature1")),
      bstrHeader(2, protectedBytes.length), Array.from(protectedBytes), [0x40],
      bstrHeader(2, payload.length), Array.from(payload));
    return new Uint8Array(parts);
  }
  function hex(bytes) { return Array.from(bytes).map(function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function b64(s) { return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); }); }

  var keysPromise = null;
  function trustedKeys() {
    if (!keysPromise) {
      keysPromise = fetch(form.getAttribute("data-trustlist")).then(function (r) { return r.json(); }).then(function (data) {
        var byKid = {};
        (data.lists || [data]).forEach(function (signed) {
          (signed.trustlist.keys || []).forEach(function (k) { (byKid[k.kid] = byKid[k.kid] || []).push(k); });
        });
        return byKid;
      });
    }
    return keysPromise;
  }

  async function verifyLocally(text, purpose) {
    var prefix = form.getAttribute("data-prefix");
    if (text.indexOf(prefix) !== 0) { throw new Fail("bad_prefix"); }
    var raw = await inflate(b45decode(text.slice(prefix.length)), parseInt(form.getAttribute("data-max-bytes"), 10));
    var msg = cborDecode(raw);
    if (msg && msg.tag !== undefined) { if (msg.tag !== 18) { throw new Fail("bad_structure", "not COSE_Sign1"); } msg = msg.value; }
    if (!Array.isArray(msg) || msg.length !== 4 || !(msg[0] instanceof Uint8Array) || !(msg[2] instanceof Uint8Array) || !(msg[3] instanceof Uint8Array)) {
      throw new Fail("bad_structure", "COSE_Sign1 shape");
    }
    var header = msg[0].length ? cborDecode(msg[0]) : new Map();
    var kid = header.get(4) || (msg[1] instanceof Map ? msg[1].get(4) : undefined);
    if (!(kid instanceof Uint8Array) || header.get(1) !== -7) { throw new Fail("bad_structure", "kid/alg"); }
    var claims = cborDecode(msg[2]);
    var zt = claims instanceof Map ? claims.get(-65537) : null;
    if (!(claims instanceof Map) || typeof claims.get(1) !== "string" || typeof claims.get(4) !== "number" || typeof claims.get(6) !== "number" || !(zt instanceof Map)) {
      throw new Fail("bad_structure", "claims");
    }
    var candidates = (await trustedKeys())[hex(kid)];
    if (!candidates || !candidates.length) { throw new Fail("unknown_kid", hex(kid)); }
    var usable = candidates.filter(function (k) { return k.status !== "revoked"; });
    if (!usable.length) { throw new Fail("revoked_key"); }
    var data = sigStructure(msg[0], msg[2]), signer = null;
    for (var i = 0; i < usable.length && !signer; i++) {
      var key = await crypto.subtle.importKey("spki", b64(usable[i].public_key_der), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      if (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, msg[3], data)) { signer = usable[i]; }
    }
    if (!signer) { throw new Fail("bad_signature"); }
    if (signer.region !== claims.get(1)) { throw new Fail("untrusted_region"); }
    var now = Date.now() / 1000;
    if (claims.get(4) <= now) { throw new Fail("expired"); }
    if (claims.get(6) > now + 300) { throw new Fail("not_yet_valid"); }
    if (purpose && zt.get("p") !== purpose) { throw new Fail("wrong_purpose"); }
    return { valid: true, reason: "ok", colour: { g: "green", y: "yellow", r: "red" }[zt.get("c")], purpose: zt.get("p"),
      region: claims.get(1), expires_at: claims.get(4) };
  }

  function show(res, where) {
    out.hidden = false;
    out.className = "panel " + (res.valid ? "report-ok code-" + res.colour : "report-bad");
    out.innerHTML = "";
    var h = document.createElement("h2");
    h.textContent = res.valid ? t.valid : t.invalid;
    out.appendChild(h);
    var dl = document.createElement("dl");
    dl.className = "facts";
    [[t.reason, res.reason + (res.detail ? " (" + res.detail + ")" : "")], [t.colour, res.colour ? (t.colours[res.colour] || res.colour) : null], [t.purpose, res.purpose],
     [t.region, res.region], [t.expires, res.expires_at ? new Date(res.expires_at * 1000).toLocaleString(document.documentElement.lang || undefined) : null],
     [t.where, where]].forEach(function (row) {
      if (row[1] === null || row[1] === undefined) { return; }
      var d = document.createElement("div"), dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = row[0]; dd.textContent = row[1]; d.appendChild(dt); d.appendChild(dd); dl.appendChild(d);
    });
    out.appendChild(dl);
    out.focus && out.setAttribute("tabindex", "-1");
  }

  form.addEventListener("submit", async function (evt) {
    evt.preventDefault();
    var text = document.getElementById("code-text").value.trim();
    var purpose = document.getElementById("purpose").value;
    if (document.getElementById("offline").checked && window.crypto && crypto.subtle) {
      try { show(await verifyLocally(text, purpose), t.browser); }
      catch (e) { show({ valid: false, reason: e instanceof Fail ? e.reason : "bad_structure", detail: e.detail || "" }, t.browser); }
      return;
    }
    var resp = await fetch(form.getAttribute("data-api"), {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: text, purpose: purpose || null })
    });
    var body = await resp.json();
    show(resp.ok ? body : { valid: false, reason: (body.error && body.error.code) || String(resp.status), detail: body.error && body.error.message }, t.server);
  });

  // Camera scanning where the browser has a barcode detector (optional).
  var cam = document.getElementById("camera");
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    cam.hidden = false;
    cam.addEventListener("click", async function () {
      var video = document.createElement("video");
      video.setAttribute("playsinline", "");
      form.appendChild(video);
      var stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream; await video.play();
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      var timer = setInterval(async function () {
        var codes = await detector.detect(video);
        if (codes.length) {
          clearInterval(timer); stream.getTracks().forEach(function (tr) { tr.stop(); }); video.remove();
          document.getElementById("code-text").value = codes[0].rawValue;
          form.requestSubmit();
        }
      }, 300);
    });
  }
})();
