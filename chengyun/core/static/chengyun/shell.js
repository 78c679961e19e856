// Behaviour of the page shell, bound here rather than in inline handlers: the
// Content-Security-Policy allows scripts from this site only (script-src 'self').
(function () {
  "use strict";
  var toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () { document.body.classList.toggle("nav-open"); });
  }
  // <form data-confirm="…">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  // <a data-back>: back to the previous page (a javascript: URL would be an inline script).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
