// Upload progress for forms marked data-upload (the spreadsheet import). The form is sent
// with XMLHttpRequest so the browser can report how much of the file has gone up; then the
// browser goes to the page of the job that reads the rows (or, when the file was refused,
// the answer replaces the page's <main>). Without JavaScript the form posts as usual.
// Each sending carries an Idempotency-Key, kept while the file, the kind and the button stay
// the same: sent again (a second press, a retry after the connection dropped), the form gets
// the first answer, the first job's page, and starts no second job.
(function () {
  "use strict";
  if (!window.FormData || !window.DOMParser || !window.XMLHttpRequest) return;

  function newKey() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  // The key of this sending: the last one while nothing on the form changed since.
  function keyFor(form, action) {
    if (!form._idempotency || form._idempotency.action !== action) {
      form._idempotency = { key: newKey(), action: action };
    }
    return form._idempotency.key;
  }

  document.addEventListener("change", function (event) {
    var form = event.target && event.target.form;
    if (form && form.hasAttribute("data-upload")) form._idempotency = null;
  });

  function setDisabled(form, disabled) {
    var buttons = form.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = disabled;
  }

  function show(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    if (xhr.responseURL && xhr.responseURL !== window.location.href &&
        doc.querySelector("[data-job], #report")) {
      window.location.assign(xhr.responseURL);  // the job's page, with its own script
      return;
    }
    var incoming = doc.querySelector("main");
    var main = document.querySelector("main");
    if (!incoming || !main) { window.location.reload(); return; }
    main.innerHTML = incoming.innerHTML;  // scripts inside are not run again
    document.title = doc.title;
    if (xhr.responseURL && xhr.responseURL !== window.location.href) {
      window.history.replaceState(null, "", xhr.responseURL);
    }
    var focus = main.querySelector(".error-summary, .flash");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-upload")) return;
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var box = form.querySelector("[data-progress]");
    if (!file || !box) return;  // the server explains a missing file
    event.preventDefault();

    var data = new FormData(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");
    box.hidden = false;
    bar.value = 0;
    text.textContent = box.getAttribute("data-sending");
    setDisabled(form, true);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.setRequestHeader("Accept", "text/html");
    xhr.setRequestHeader("Idempotency-Key", keyFor(form, submitter ? submitter.value : ""));
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      bar.value = Math.round((100 * e.loaded) / e.total);
      text.textContent = box.getAttribute("data-sending") + " " + bar.value + " %";
    };
    xhr.upload.onload = function () {
      bar.removeAttribute("value");  // indeterminate while the server checks the rows
      text.textContent = box.getAttribute("data-checking");
    };
    xhr.onload = function () { show(xhr); };
    xhr.onerror = function () {
      text.textContent = box.getAttribute("data-failed");
      setDisabled(form, false);
    };
    xhr.send(data);
  });
})();
