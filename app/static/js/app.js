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

  // A button or link with data-confirm asks first (instead of an inline onclick, which a CSP forbids).
  $(document).on('click', '[data-confirm]', function (event) {
    if (!window.confirm($(this).attr('data-confirm'))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  // Select2's messages in Chinese (FAB ships select2 without its locales).
  var select2Chinese = {
    errorLoading: function () { return '无法载入结果。'; },
    inputTooLong: function (a) { return '请删除' + (a.input.length - a.maximum) + '个字符'; },
    inputTooShort: function (a) { return '请再输入至少' + (a.minimum - a.input.length) + '个字符'; },
    loadingMore: function () { return '载入更多结果…'; },
    maximumSelected: function (a) { return '最多只能选择' + a.maximum + '个项目'; },
    noResults: function () { return '未找到结果'; },
    searching: function () { return '搜索中…'; },
    removeAllItems: function () { return '删除所有项目'; },
    removeItem: function () { return '删除项目'; },
    search: function () { return '搜索'; }
  };

  $(function () {
    if (chinese && $.fn.select2) {
      // ab.js set FAB's selects up in English ("Select a State"): set them up again in Chinese.
      $('.my_select2').each(function () {
        var select = $(this);
        select.select2('destroy').select2({
          placeholder: select.attr('data-placeholder') || '请选择', allowClear: true, theme: 'bootstrap',
          language: select2Chinese
        });
      });
    }
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
