// Behaviour every page may use, attached from data- attributes (the Content-Security-Policy forbids inline
// script and on...= handlers):
//   <form data-confirm="…">        asks before submitting
//   <input data-nav-month>         reloads the page with ?month=<value> when the month changes
//   <div data-width="12.5">        sets the element's width in % (progress bars)
(function () {
  'use strict';
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
  document.querySelectorAll('input[data-nav-month]').forEach(function (input) {
    input.addEventListener('change', function () {
      if (input.value) {
        window.location.search = '?month=' + encodeURIComponent(input.value);
      }
    });
  });
  document.querySelectorAll('[data-width]').forEach(function (el) {
    var width = parseFloat(el.dataset.width);
    if (isFinite(width)) {
      el.style.width = Math.max(0, Math.min(100, width)) + '%';
    }
  });
})();
