// Live preview of the newsletter text: posts the Markdown to the server, which answers with
// sanitised HTML (markdown-it with raw HTML off, then nh3), so the preview is exactly what is sent.
(function () {
  "use strict";
  var form = document.querySelector("form.newsletter-compose");
  if (!form) { return; }
  var url = form.getAttribute("data-preview-url");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var boxes = form.querySelectorAll("[data-preview-for]");

  function refresh(textarea, target) {
    var data = new FormData();
    data.append("body", textarea.value);
    data.append("csrf_token", tokenInput ? tokenInput.value : "");
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) { if (json) { target.innerHTML = json.html; } })
      .catch(function () { /* the preview is a help, not a must: keep the last one */ });
  }

  Array.prototype.forEach.call(boxes, function (target) {
    var textarea = document.getElementById(target.getAttribute("data-preview-for"));
    if (!textarea) { return; }
    var timer = null;
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { refresh(textarea, target); }, 300);
    });
    if (textarea.value) { refresh(textarea, target); }
  });
})();
