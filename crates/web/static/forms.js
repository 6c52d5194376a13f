/* chiso — confirmations and unsaved changes.
   A form marked data-confirm asks before an irreversible step (submitting a self-assessment,
   approving, publishing, withdrawing a unit) with the text the server wrote in the page's
   language; a form marked data-unsaved warns before the page is left with values typed but
   not saved. Without this script the forms still work; the server checks everything. */
(function () {
  'use strict';

  Array.prototype.forEach.call(document.querySelectorAll('form[data-confirm]'), function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) {
        event.preventDefault();
      }
    });
  });

  var dirty = false;
  var watched = document.querySelectorAll('form[data-unsaved]');
  Array.prototype.forEach.call(watched, function (form) {
    form.addEventListener('input', function () { dirty = true; });
    form.addEventListener('change', function () { dirty = true; });
    form.addEventListener('submit', function () { dirty = false; });
  });
  if (watched.length > 0) {
    window.addEventListener('beforeunload', function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
  }
})();
