/* Behaviour that would otherwise be inline (the Content-Security-Policy allows no inline handlers):
   a form or button with data-confirm="…" asks before it submits. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var text = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
    }
  }, true);
})();
