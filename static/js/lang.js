// The language switch: keep the part of the address after "#" (the permit check needs it), and ask
// before a reload would throw away what the person has typed into a form on this page.
(function () {
  "use strict";
  var form = document.querySelector("form.lang-switch");
  if (!form) { return; }
  var edited = false;
  document.addEventListener("input", function (event) {
    if (event.target.form && event.target.form !== form) { edited = true; }
  });
  document.addEventListener("submit", function (event) {
    if (event.target !== form) { edited = false; }  // the person is sending the form: nothing is lost
  }, true);
  form.addEventListener("submit", function (event) {
    if (edited && !window.confirm(form.dataset.unsaved)) {
      event.preventDefault();
      return;
    }
    var next = form.querySelector('input[name="next"]');
    if (next && next.value) { next.value = next.value + window.location.hash; }
  });
})();
