// The field pages' side of the outbox (outbox-store.js): registers the service worker,
// keeps the pages the clerk needs offline on the phone, saves each form marked
// `data-outbox` (a diary entry, a new field) in the outbox before sending it, and shows what
// waits ("3 mục chờ gửi"), what needs a sign-in (another clerk's entries wait for them:
// each is saved with who was signed in, `data-user`) and what the registry refused, with "send
// as a correction" (an entry naming the one to correct), "correct" (a form reopened with
// what was saved, to change and save again) and "discard". Entries are sent on opening an
// outbox page, on the `online` event and by Background Sync where the browser has it.
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
      if (entries.some(function (e) { return e.state === "signin" && !another(e); })) list.appendChild(signIn());
    });
  }

  function item(entry) {
    var li = document.createElement("li");
    li.dataset.state = entry.state;
    var what = [entry.label, entry.date, entry.subject || entry.season];
    if (entry.photo) what.push(words.photo);
    li.appendChild(text("span", what.filter(Boolean).join(" · ")));
    if (entry.state === "refused") li.appendChild(refusal(entry));
    else if (entry.state === "signin" && another(entry)) li.appendChild(text("p", words.otherUser, "muted"));
    return li;
  }

  // Saved by someone other than who is signed in on this page: sent when they sign in.
  function another(entry) {
    return Boolean(entry.user && words.user && entry.user !== words.user);
  }

  function refusal(entry) {
    var part = document.createElement("div");
    part.appendChild(text("p", words.refused + " " + reasons(entry.problem).join(" "), "error"));
    if (entry.problem && entry.problem.correct) {
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
    if (entry.edit) {
      var edit = text("a", words.edit, "button");
      edit.href = entry.edit + "#outbox=" + encodeURIComponent(entry.id);
      part.appendChild(edit);
    }
    part.appendChild(button(words.discard, "button secondary", function () {
      if (!window.confirm(words.discardConfirm)) return Promise.resolve();
      return Outbox.remove(entry.id).then(render);
    }));
    return part;
  }

  function reasons(problem) {
    problem = problem || {};
    return [problem.title, problem.detail].concat(flatten(problem.errors)).filter(Boolean);
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

  // A form marked `data-outbox`: saved in the outbox first, then sent. Then its
  // `data-done-url` opens (from the phone when there is no connection, showing the entry
  // waiting), or with `data-open-answer` the page the registry's answer names when it was
  // sent at once; refused at once, the form posts as without the outbox so its messages
  // show beside its fields. Opened to correct a refused entry (`#outbox=<id>`), it is
  // filled with what was saved, and saving it replaces that entry.
  function capture(form) {
    var photoInput = form.querySelector("input[type=file]");
    if (photoInput) photoInput.addEventListener("change", locate);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var entry = fromForm(form, photoInput);
      var sentTo = {};
      Outbox.put(entry).then(function () {
        return form.dataset.replaces ? Outbox.remove(form.dataset.replaces) : null;
      }).then(function () {
        requestSync();
        if (!navigator.onLine) return "network";
        return Outbox.sendAll().then(function (counts) {
          sentTo = counts.sentTo || {};
          return Outbox.all().then(function (left) {
            var mine = left.filter(function (e) { return e.id === entry.id; })[0];
            return mine ? mine.state : "sent";
          });
        });
      }).then(function (state) {
        if (state === "refused") {
          return Outbox.remove(entry.id).then(function () { HTMLFormElement.prototype.submit.call(form); });
        }
        var answer = state === "sent" && "openAnswer" in form.dataset && sentTo[entry.id];
        location.href = answer || form.dataset.doneUrl;
      }, function () { HTMLFormElement.prototype.submit.call(form); });
    });
    reopen(form);
    window.addEventListener("hashchange", function () { reopen(form); });  // from this page's list
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
    var named = form.dataset.subjectInput && form.elements[form.dataset.subjectInput];
    return {
      id: Outbox.newKey(), url: form.action || location.href, fields: fields, photo: photo,
      subject: named ? named.value.trim().toUpperCase() : form.dataset.subject,
      label: (document.querySelector("h1") || {}).textContent || "",
      date: date ? date.value : "", edit: form.dataset.outboxEdit || null, user: words.user || null,
      queued_at: Date.now(), state: "waiting", problem: null
    };
  }

  // The form opened from a refused entry's "correct" (`#outbox=<id>`): its inputs filled
  // with what was saved (a walked boundary included: the map draws it again from its
  // input's `change`), and why it was refused, beside the inputs it is about or above.
  function reopen(form) {
    var found = /^#outbox=(.+)$/.exec(location.hash);
    if (!found) return;
    var id = decodeURIComponent(found[1]);
    Outbox.all().then(function (entries) {
      var entry = entries.filter(function (e) { return e.id === id; })[0];
      if (!entry) return;
      form.dataset.replaces = entry.id;
      entry.fields.forEach(function (pair) {
        var input = form.elements[pair[0]];
        if (!input || input.type === "hidden") return;
        if (input.type === "checkbox") input.checked = true;
        else input.value = pair[1];
        if (input.dispatchEvent) input.dispatchEvent(new Event("change"));
      });
      showRefusal(form, entry.problem || {});
    });
  }

  function showRefusal(form, problem) {
    document.querySelectorAll(".outbox-refusal").forEach(function (old) { old.remove(); });
    var general = [problem.title, problem.detail];
    Object.keys(problem.errors || {}).forEach(function (name) {
      var messages = flatten(problem.errors[name]);
      var input = form.elements[name];  // an input, or a fieldset named so (the location)
      if (!input || !input.closest) { general = general.concat(messages); return; }
      input.setAttribute("aria-invalid", "true");
      var note = text("p", messages.join(" "), "error outbox-refusal");
      note.id = name + "-refused";
      input.setAttribute("aria-describedby", note.id);
      input.closest(".field, fieldset").appendChild(note);
    });
    var top = text("p", words.refused + " " + general.filter(Boolean).join(" "), "error-summary outbox-refusal");
    top.setAttribute("role", "alert");
    form.parentNode.insertBefore(top, form);
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

  // The pages this one needs offline (`data-offline-pages`: a season's diary forms, the
  // new-field form and its map's data), kept on the phone while there is a connection. A
  // page that shows a one-time message ("Saved in the diary.") is kept again without it, so
  // that the phone does not show it again offline.
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
