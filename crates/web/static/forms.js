/* chiso — confirmations and unsaved changes.
   A form marked data-confirm asks before an irreversible step (submitting a self-assessment,
   approving, publishing, withdrawing a unit) with the text the server wrote in the page's
   language; a form marked data-unsaved warns before the page is left with values typed but
   not saved. A date input (input[data-date]) takes dd/mm/yyyy: "1/6/2024" or "1.6.2024" is
   tidied into "01/06/2024", and a date that does not exist is named before the form leaves
   (the attribute holds the message). Without this script the forms still work; the server
   checks everything. */
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

  /* dd/mm/yyyy, day and month of one or two digits, separated by "/", "." or "-". */
  function tidyDate(raw) {
    var m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})$/.exec(raw.trim());
    if (!m) {
      return null;
    }
    var d = Number(m[1]);
    var mo = Number(m[2]);
    var y = Number(m[3]);
    var check = new Date(Date.UTC(y, mo - 1, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
      return null;
    }
    return (d < 10 ? '0' : '') + d + '/' + (mo < 10 ? '0' : '') + mo + '/' + y;
  }

  function checkDate(input) {
    var raw = input.value.trim();
    if (raw === '') {
      input.setCustomValidity('');
      return;
    }
    var tidy = tidyDate(raw);
    if (tidy === null) {
      input.setCustomValidity(input.getAttribute('data-date') || '');
    } else {
      input.setCustomValidity('');
      if (tidy !== input.value) {
        input.value = tidy;
      }
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll('input[data-date]'), function (input) {
    input.addEventListener('change', function () { checkDate(input); });
    input.addEventListener('input', function () { input.setCustomValidity(''); });
  });

  /* The "còn thiếu" bar: each link goes to the next of its criteria below the one in view,
     then round to the first; the criterion's first field takes the focus. */
  Array.prototype.forEach.call(document.querySelectorAll('.todo-nav a[data-targets]'), function (link) {
    link.addEventListener('click', function (event) {
      var ids = link.getAttribute('data-targets').split(' ').filter(Boolean);
      var bar = link.closest('.todo-nav');
      var line = (bar ? bar.getBoundingClientRect().bottom : 0) + 2;
      var next = null;
      for (var i = 0; i < ids.length && !next; i += 1) {
        var el = document.getElementById(ids[i]);
        if (el && el.getBoundingClientRect().top > line) {
          next = el;
        }
      }
      next = next || document.getElementById(ids[0]);
      if (!next) {
        return;
      }
      event.preventDefault();
      next.scrollIntoView({ block: 'start' });
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, '', '#' + next.id);
      }
      var field = next.querySelector('input:not([type="hidden"]):not([type="file"]), select, textarea');
      if (field) {
        field.focus({ preventScroll: true });
      }
    });
  });

  /* After a save on the appraisal page the next criterion needing work is shown with its
     value field ready for typing (the server marks it). */
  var arrive = document.querySelector('[data-arrive]');
  if (arrive) {
    var block = arrive.closest('article') || arrive;
    block.scrollIntoView({ block: 'start' });
    arrive.focus({ preventScroll: true });
  }

  /* The questionnaire: "same answer for all" ticks one option for every unit of a question.
     Without scripts the helper stays hidden and each row is ticked by hand. */
  Array.prototype.forEach.call(document.querySelectorAll('[data-same-answer]'), function (bar) {
    bar.hidden = false;
    var question = bar.closest('fieldset');
    Array.prototype.forEach.call(bar.querySelectorAll('[data-choose]'), function (button) {
      button.addEventListener('click', function () {
        var value = button.getAttribute('data-choose');
        Array.prototype.forEach.call(question.querySelectorAll('input[type="radio"]'), function (radio) {
          if (radio.value === value) {
            radio.checked = true;
            radio.dispatchEvent(new Event('change', { bubbles: true }));
          }
        });
      });
    });
  });
})();
