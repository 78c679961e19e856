// Filter the notification list in place: all, unread, or one level.
(function () {
  "use strict";
  var buttons = document.querySelectorAll(".notice-filter button");
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var f = button.dataset.filter;
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      document.querySelectorAll(".notifications li").forEach(function (li) {
        li.hidden = f !== "" && !li.classList.contains(f);
      });
    });
  });
})();
