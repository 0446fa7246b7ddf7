// Verifier keys in the browser (DESIGN.md §7). On the keys page: make an Ed25519 key pair
// with WebCrypto, the private key NON-extractable, keep the pair in IndexedDB, and register
// only the public key (raw bytes, base64url) through the ordinary key form. On the sign
// page: if this browser holds the key the statement names, sign the exact bytes the server
// put in data-sign-bytes (base64url of the RFC 8785 encoding: nothing is re-encoded here)
// and send the signature with the ordinary signature form. Where the browser lacks Ed25519,
// the page says so and the command line does the work.
(function () {
  "use strict";
  var DB_NAME = "phatthaithap-verifier";
  var STORE = "keys";

  function b64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromB64url(text) {
    var padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function hasCrypto() {
    return !!(window.crypto && window.crypto.subtle && window.indexedDB);
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "kid" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // One transaction on the key store; `work` gets the store and returns a request or null.
  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  // Whether WebCrypto here makes Ed25519 keys: try it, and catch.
  function ed25519() {
    if (!hasCrypto()) return Promise.resolve(false);
    try {
      return window.crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
        .then(function () { return true; }, function () { return false; });
    } catch (e) {
      return Promise.resolve(false);
    }
  }

  // A new key pair and its registry key id: first 8 bytes of SHA-256 of the SPKI, in hex.
  function makeKey() {
    var subtle = window.crypto.subtle;
    return subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]).then(function (pair) {
      return Promise.all([
        subtle.exportKey("raw", pair.publicKey),
        subtle.exportKey("spki", pair.publicKey)
      ]).then(function (exported) {
        return subtle.digest("SHA-256", exported[1]).then(function (digest) {
          return {
            kid: hex(new Uint8Array(digest).slice(0, 8)),
            x: b64url(exported[0]),
            privateKey: pair.privateKey,
            publicKey: pair.publicKey,
            created: new Date().toISOString()
          };
        });
      });
    });
  }

  function keysPage(box) {
    var button = box.querySelector("[data-keygen]");
    var unsupported = box.querySelector("[data-keygen-unsupported]");
    var status = box.querySelector("[data-keygen-status]");
    var form = document.getElementById("key-form");
    if (!button || !form) return;
    ed25519().then(function (ok) {
      if (ok) button.hidden = false;
      else unsupported.hidden = false;
    });
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = box.getAttribute("data-working");
      makeKey().then(function (record) {
        var label = form.elements.label;
        if (!label.value.trim()) {
          label.value = box.getAttribute("data-default-label") + " " + record.created.slice(0, 10);
        }
        record.label = label.value;
        return withStore("readwrite", function (store) { return store.put(record); }).then(function () {
          form.elements.public_key.value = record.x;
          status.textContent = box.getAttribute("data-saving");
          form.submit();
        });
      }).catch(function () {
        status.textContent = box.getAttribute("data-failed");
        unsupported.hidden = false;
        button.disabled = false;
      });
    });
  }

  // Marks the keys (table rows, options of the key choice) whose private key is here.
  function markHeld() {
    var rows = document.querySelectorAll("tr[data-kid]");
    var select = document.querySelector("[data-key-select]");
    if ((!rows.length && !select) || !hasCrypto()) return;
    withStore("readonly", function (store) { return store.getAllKeys(); }).then(function (kids) {
      var held = function (kid) { return kids.indexOf(kid) >= 0; };
      for (var i = 0; i < rows.length; i++) {
        var tag = rows[i].querySelector("[data-in-browser]");
        if (tag && held(rows[i].getAttribute("data-kid"))) tag.hidden = false;
      }
      if (!select) return;
      var chosen = false, first = null;
      for (var j = 0; j < select.options.length; j++) {
        var option = select.options[j];
        chosen = chosen || option.defaultSelected;
        if (held(option.value)) {
          option.textContent += " · " + select.getAttribute("data-in-browser");
          if (first === null) first = option;
        }
      }
      if (!chosen && first) first.selected = true;
    }, function () { /* no IndexedDB here: nothing to mark */ });
  }

  function signPage(box) {
    var missing = document.querySelector("[data-browser-sign-missing]");
    var bytes = box.getAttribute("data-sign-bytes");
    var showMissing = function () { if (missing) missing.hidden = false; };
    if (!bytes || !hasCrypto()) { showMissing(); return; }
    withStore("readonly", function (store) { return store.get(box.getAttribute("data-kid")); })
      .then(function (record) {
        if (!record || !record.privateKey) { showMissing(); return; }
        var button = box.querySelector("[data-sign]");
        var status = box.querySelector("[data-sign-status]");
        box.hidden = false;
        button.addEventListener("click", function () {
          button.disabled = true;
          status.textContent = box.getAttribute("data-working");
          window.crypto.subtle.sign({ name: "Ed25519" }, record.privateKey, fromB64url(bytes))
            .then(function (signature) {
              var form = document.getElementById("signature-form");
              form.elements.signature.value = b64url(signature);
              form.submit();
            })
            .catch(function () {
              status.textContent = box.getAttribute("data-failed");
              button.disabled = false;
            });
        });
      }, showMissing);
  }

  var keygen = document.querySelector("[data-keygen-box]");
  if (keygen) keysPage(keygen);
  var sign = document.querySelector("[data-browser-sign]");
  if (sign) signPage(sign);
  markHeld();
})();
