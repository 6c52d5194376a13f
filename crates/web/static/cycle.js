/* chiso — live points on the self-assessment page.
   The page works without this script: saving a form shows the points the rules give. With it,
   the points of each criterion, the engine's sentence, the ratio's percentage and the totals
   follow the values while they are typed, from the server's preview (nothing is saved).
   Every text shown comes from the server, in the page's language. */
(function () {
  'use strict';

  var root = document.getElementById('cycle-page');
  if (!root || !window.fetch || !window.URLSearchParams || !window.FormData) {
    return;
  }
  var url = root.getAttribute('data-preview');
  var forms = root.querySelectorAll('form.cycle-values');
  if (!url || forms.length === 0) {
    return;
  }
  var VALUE_FIELD = /^(value|num|den|na|version|sig):/;
  var timer = null;
  var pending = null;

  function token() {
    var input = root.querySelector('input[name="csrf"]');
    return input ? input.value : '';
  }

  function gather() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(forms, function (form) {
      new FormData(form).forEach(function (value, name) {
        if (typeof value === 'string' && VALUE_FIELD.test(name)) {
          params.append(name, value);
        }
      });
    });
    return params;
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = text;
    }
  }

  function show(data) {
    data.leaves.forEach(function (leaf) {
      setText('pts-' + leaf.node, leaf.points);
      setText('why-' + leaf.node, leaf.sentence);
      setText('pct-' + leaf.node, leaf.percent);
      var error = document.getElementById('live-err-' + leaf.node);
      if (error) {
        error.textContent = leaf.error || '';
        error.hidden = !leaf.error;
      }
    });
    setText('total-points', data.total);
    setText('total-max', data.max);
    data.areas.forEach(function (area) {
      setText('area-pts-' + area.code, area.points);
      setText('area-max-' + area.code, area.max);
    });
  }

  function refresh() {
    if (pending && pending.abort) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
        'Accept': 'application/json',
        'X-CSRF-Token': token()
      },
      body: gather().toString(),
      signal: pending ? pending.signal : undefined
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data) {
        show(data);
      }
    }).catch(function () {
      /* The preview is a convenience: on any failure the page stays as it is. */
    });
  }

  function schedule(event) {
    var target = event.target;
    if (!target || !target.name || !VALUE_FIELD.test(target.name)) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }

  root.addEventListener('input', schedule);
  root.addEventListener('change', schedule);
}());
