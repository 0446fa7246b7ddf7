// The diary pages' side of the outbox (outbox-store.js): registers the service worker,
// keeps the season's diary pages on the phone, saves each diary form in the outbox before
// sending it, and shows what waits ("3 mục chờ gửi"), what needs a sign-in and what the
// registry refused, with "send as a correction" and "discard". Entries are sent on opening
// a diary page, on the `online` event and by Background Sync where the browser has it.
// Without IndexedDB or a service worker the forms post as they always did.
(function () {
  "use strict";
  if (!window.indexedDB || !window.fetch || !window.Promise || !window.FormData) return;
  var box = document.getElementById("outbox");
  if (!box) return;
  var words = box.dataset;
  var status = "";
  var position = null;  // the phone's last position, for a photo chosen without EXIF GPS

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.outbox) afterSending(event.data.outbox);
    });
  }

  function text(tag, content, cls) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (cls) node.className = cls;
    return node;
  }

  function render() {
    return Outbox.all().then(function (entries) {
      box.hidden = entries.length === 0 && !status;
      var n = entries.length;
      var count = (n === 1 ? words.waitingOne : words.waitingMany).replace("{n}", n);
      box.querySelector(".outbox-count").textContent = count;
      box.dataset.count = String(n);
      box.querySelector(".outbox-status").textContent = status;
      var list = box.querySelector(".outbox-list");
      list.textContent = "";
      entries.forEach(function (entry) { list.appendChild(item(entry)); });
      if (entries.some(function (e) { return e.state === "signin"; })) list.appendChild(signIn());
    });
  }

  function item(entry) {
    var li = document.createElement("li");
    li.dataset.state = entry.state;
    var what = entry.label + " · " + entry.date + " · " + entry.season;
    li.appendChild(text("span", entry.photo ? what + " · " + words.photo : what));
    if (entry.state === "refused") li.appendChild(refusal(entry));
    return li;
  }

  function refusal(entry) {
    var part = document.createElement("div");
    var problem = entry.problem || {};
    var why = [problem.title, problem.detail].concat(flatten(problem.errors)).filter(Boolean);
    part.appendChild(text("p", words.refused + " " + why.join(" "), "error"));
    if (problem.correct) {
      var label = text("label", words.reason);
      var reason = document.createElement("input");
      var given = entry.fields.filter(function (p) { return p[0] === "reason"; })[0];
      reason.value = given ? given[1] : words.reasonDefault;
      reason.maxLength = 300;
      label.appendChild(reason);
      part.appendChild(label);
      part.appendChild(button(words.correct, "button", function () {
        return Outbox.asCorrection(entry, reason.value.trim() || words.reasonDefault).then(sendNow);
      }));
    }
    part.appendChild(button(words.discard, "button secondary", function () {
      if (!window.confirm(words.discardConfirm)) return Promise.resolve();
      return Outbox.remove(entry.id).then(render);
    }));
    return part;
  }

  function flatten(errors) {
    var found = [];
    (function walk(node) {
      if (typeof node === "string") found.push(node);
      else if (node && typeof node === "object") Object.keys(node).forEach(function (k) { walk(node[k]); });
    })(errors);
    return found;
  }

  function button(label, cls, action) {
    var b = text("button", label, cls);
    b.type = "button";
    b.addEventListener("click", function () { b.disabled = true; action().then(function () { b.disabled = false; }); });
    return b;
  }

  function signIn() {
    var li = text("li", words.signin + " ");
    var link = text("a", words.signinLink);
    link.href = words.loginUrl + "?next=" + encodeURIComponent(location.pathname + location.search);
    li.appendChild(link);
    return li;
  }

  function sendNow() {
    if (!navigator.onLine) { status = words.offline; return render(); }
    status = words.sending;
    return render().then(Outbox.sendAll).then(afterSending);
  }

  function afterSending(counts) {
    status = counts.network ? words.offline : counts.later ? words.later : "";
    return render().then(function () {
      if (counts.sent && document.querySelector(".timeline, [data-reload-after-send]")) location.reload();
    });
  }

  // The diary form: saved in the outbox first, then sent. Sent, the season page opens; not
  // sent (no connection, signed out), the season page opens from the phone, showing it
  // waiting; refused at once, the form posts as without the outbox so its messages show.
  function capture(form) {
    var photoInput = form.querySelector("input[type=file]");
    if (photoInput) photoInput.addEventListener("change", locate);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var entry = fromForm(form, photoInput);
      Outbox.put(entry).then(function () {
        requestSync();
        if (!navigator.onLine) return "network";
        return Outbox.sendAll().then(function () {
          return Outbox.all().then(function (left) {
            var mine = left.filter(function (e) { return e.id === entry.id; })[0];
            return mine ? mine.state : "sent";
          });
        });
      }).then(function (state) {
        if (state === "refused") {
          return Outbox.remove(entry.id).then(function () { HTMLFormElement.prototype.submit.call(form); });
        }
        location.href = form.dataset.seasonUrl;
      }, function () { HTMLFormElement.prototype.submit.call(form); });
    });
  }

  function fromForm(form, photoInput) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token") fields.push([name, value]);
    });
    var file = photoInput && photoInput.files[0];
    var photo = file ? {
      blob: file, name: file.name || "photo.jpg",
      taken_at: file.lastModified ? new Date(file.lastModified).toISOString() : null,
      lat: position ? position.latitude : null, lon: position ? position.longitude : null,
      accuracy_m: position ? position.accuracy : null
    } : null;
    var date = form.querySelector("[name=date]");
    return {
      id: Outbox.newKey(), url: form.action || location.href, fields: fields, photo: photo,
      season: form.dataset.season, label: (document.querySelector("h1") || {}).textContent || "",
      date: date ? date.value : "", queued_at: Date.now(), state: "waiting", problem: null
    };
  }

  function locate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      function (found) { position = found.coords; },
      function () { position = null; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  function requestSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("ptt-outbox");
    }).catch(function () {});
  }

  // The season's diary pages, kept on the phone while there is a connection. A page that
  // shows a one-time message ("Saved in the diary.") is kept again without it, so that the
  // phone does not show it again offline.
  function keepPages() {
    if (!window.caches || !navigator.onLine) return;
    var pages = words.offlinePages ? JSON.parse(words.offlinePages) : [];
    caches.open(Outbox.PAGES).then(function (cache) {
      if (document.querySelector("main .flash")) keep(cache, location.pathname + location.search);
      pages.forEach(function (url) {
        cache.match(url).then(function (kept) { if (!kept) return keep(cache, url); });
      });
    });
  }

  function keep(cache, url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (response.ok && !response.redirected) return cache.put(url, response);
    }).catch(function () {});
  }

  document.querySelectorAll("form[data-outbox]").forEach(capture);
  document.querySelectorAll("form[action$='/logout']").forEach(function (form) {
    form.addEventListener("submit", function () { if (window.caches) caches.delete(Outbox.PAGES); });
  });
  window.addEventListener("online", sendNow);
  window.addEventListener("offline", function () { status = words.offline; render(); });
  sendNow();
  keepPages();
})();
