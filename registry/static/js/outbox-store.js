// The phone's outbox for field work (issue 21), shared by the pages (outbox.js) and the
// service worker (sw.js): the forms a clerk saves with no connection (diary entries, photos
// included as Blobs, and new fields with their walked boundary), kept in IndexedDB, each
// with the Idempotency-Key it was given when it was saved, and posted to the form itself
// (which answers JSON) when the connection is there. Sending one again after a dropped
// connection gets the registry's first answer, never a second record.
//
// An entry is { id (its Idempotency-Key), url, fields: [[name, value]…], photo: {blob,
// name, taken_at, lat, lon, accuracy_m} | null, label (what it is), date, subject (the
// season or field it is about; `season` in entries saved before fields were), edit (the
// form to open pre-filled to correct it, or none), user (the id of who was signed in when
// it was saved: it is sent only in their session, as a phone may be shared; none in entries
// saved before users were kept, sent in any session), queued_at, state, problem }, where
// state is "waiting", "signin" (the session ended, or another user is signed in: sign in
// to send) or "refused" (the registry will not take it as it is: `problem` says why).
var Outbox = (function () {
  "use strict";
  var DB = "ptt-outbox", STORE = "entries";
  var PAGES = "ptt-diary-pages", STATIC = "ptt-diary-static";
  var TOKEN_URL = "/outbox/token";
  var opened = null;

  function open() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (found) {
      return (found || []).sort(function (a, b) { return a.queued_at - b.queued_at; });
    });
  }

  function put(entry) { return run("readwrite", function (store) { store.put(entry); }); }
  function remove(id) { return run("readwrite", function (store) { store.delete(id); }); }

  function newKey() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // This session's { csrf, user } (a CSRF token, who is signed in), or "signin" when signed
  // out, or null without network.
  function token() {
    return fetch(TOKEN_URL, { credentials: "same-origin", cache: "no-store" }).then(
      function (response) {
        if (response.status === 401) return "signin";
        if (!response.ok) return null;
        return response.json().then(function (b) { return { csrf: b.csrf_token, user: String(b.user) }; });
      },
      function () { return null; }
    );
  }

  function body(entry) {
    var form = new FormData();
    entry.fields.forEach(function (pair) { form.append(pair[0], pair[1]); });
    var photo = entry.photo;
    if (photo) {
      form.append("photo", photo.blob, photo.name);
      ["taken_at", "lat", "lon", "accuracy_m"].forEach(function (name) {
        if (photo[name] !== null && photo[name] !== undefined) form.append(name, String(photo[name]));
      });
    }
    return form;
  }

  // Send one entry: "sent", "network" (no connection: stop), "signin", "later" (the
  // registry is busy or failed: try again later) or "refused" (the entry is marked so).
  // A sent entry's answer names where it now is (its `url`): kept in `sentTo` by id.
  function send(entry, csrf, sentTo) {
    return fetch(entry.url, {
      method: "POST",
      body: body(entry),
      credentials: "same-origin",
      redirect: "manual",  // a redirect means the session ended (to the sign-in page)
      headers: { "Accept": "application/json", "Idempotency-Key": entry.id, "X-CSRFToken": csrf }
    }).then(function (response) {
      if (response.ok) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (answer.url) sentTo[entry.id] = answer.url;
          return remove(entry.id).then(function () { return "sent"; });
        });
      }
      if (response.type === "opaqueredirect" || response.status === 401) return "signin";
      if (response.status >= 500 || response.status === 429) return "later";
      return response.json().catch(function () { return {}; }).then(function (problem) {
        var type = String(problem.type || "");
        if (/\/(request-in-progress|form-expired)$/.test(type)) return "later";
        entry.state = "refused";
        entry.problem = {
          title: problem.title || String(response.status), detail: problem.detail || "",
          errors: problem.errors || {}, correct: problem.correct || null
        };
        return put(entry).then(function () { return "refused"; });
      });
    }, function () { return "network"; });
  }

  // Whether `entry` may be sent in the session of `user`: only its own user's.
  function ownedBy(entry, user) { return !entry.user || entry.user === user; }

  // Send every entry that waits, oldest first, one sender at a time (pages and the service
  // worker may all try at once): those of the signed-in user; another user's stay, waiting
  // for them to sign in. Resolves to how many of each outcome, and `sentTo`.
  function sendAll() {
    var work = function () {
      return all().then(function (entries) {
        var todo = entries.filter(function (e) { return e.state !== "refused"; });
        var counts = { sent: 0, network: 0, signin: 0, later: 0, refused: 0, sentTo: {} };
        if (!todo.length) return counts;
        return token().then(function (session) {
          if (session === null) { counts.network = todo.length; return counts; }
          if (session === "signin") return mark(todo, "signin").then(function () { counts.signin = todo.length; return counts; });
          var others = todo.filter(function (e) { return !ownedBy(e, session.user); });
          counts.signin = others.length;
          return mark(others, "signin").then(function () {
            var own = todo.filter(function (e) { return ownedBy(e, session.user); });
            return sendEach(own, session.csrf, counts);
          });
        });
      });
    };
    if (self.navigator && navigator.locks) return navigator.locks.request("ptt-outbox", work);
    return work();
  }

  // Send `entries` in turn, counting each outcome; stop at the first with no network or
  // no session.
  function sendEach(entries, csrf, counts) {
    return entries.reduce(function (chain, entry) {
      return chain.then(function (stop) {
        if (stop) return stop;
        return send(entry, csrf, counts.sentTo).then(function (outcome) {
          counts[outcome] += 1;
          if (outcome === "signin") return mark([entry], "signin").then(function () { return true; });
          return outcome === "network";
        });
      });
    }, Promise.resolve(false)).then(function () { return counts; });
  }

  function mark(entries, state) {
    return Promise.all(entries.map(function (e) { e.state = state; return put(e); }));
  }

  // The refused entry again, as a correction of the entry the registry named, with a new key.
  function asCorrection(entry, reason) {
    var fields = entry.fields.filter(function (p) { return p[0] !== "supersedes" && p[0] !== "reason"; });
    fields.push(["supersedes", String(entry.problem.correct)], ["reason", reason]);
    var again = Object.assign({}, entry, {
      id: newKey(), fields: fields, state: "waiting", problem: null, queued_at: Date.now()
    });
    return put(again).then(function () { return remove(entry.id); });
  }

  return {
    PAGES: PAGES, STATIC: STATIC, all: all, put: put, remove: remove, newKey: newKey,
    sendAll: sendAll, asCorrection: asCorrection
  };
})();
