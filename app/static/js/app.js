/* Behaviour shared by every console page: a Chinese date picker that keeps typed and pasted dates. */
(function ($) {
  'use strict';

  var chinese = ($('meta[name="app-locale"]').attr('content') || 'zh') === 'zh';

  // 2026-12-01, 2026/12/1, 2026.12.1, 2026年12月1日, 20261201 → 2026-12-01; anything else is left as typed
  // (the server says what is wrong with it) instead of being cleared.
  function normalDate(text) {
    var value = $.trim(text || ''), parts;
    parts = value.match(/^(\d{4})\s*[-\/.年]\s*(\d{1,2})\s*[-\/.月]\s*(\d{1,2})\s*日?$/) ||
      value.match(/^(\d{4})(\d{2})(\d{2})$/);
    if (!parts) { return value; }
    return parts[1] + '-' + ('0' + parts[2]).slice(-2) + '-' + ('0' + parts[3]).slice(-2);
  }

  $(function () {
    // FAB's ab.js set the pickers up in English with forceParse, which empties a date the picker cannot
    // parse on blur: set them up again, in the page's language, without forceParse.
    $('.appbuilder_date, .appbuilder_datetime').each(function () {
      var picker = $(this);
      picker.datepicker('destroy');
      picker.datepicker({
        format: 'yyyy-mm-dd', language: chinese ? 'zh-CN' : 'en', weekStart: chinese ? 1 : 0,
        forceParse: false, autoclose: true, todayHighlight: true
      });
      picker.find('input').on('change blur', function () {
        var input = $(this), value = normalDate(input.val());
        if (value !== input.val()) {
          input.val(value);
          picker.datepicker('update', value);
        }
      });
    });
  });
}(jQuery));
