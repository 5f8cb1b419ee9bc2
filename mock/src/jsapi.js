/*
 * silent-login-mock JSAPI shim.
 *
 * Defines window.dd (DingTalk), window.h5sdk and window.tt (Feishu/Lark) well enough for an
 * H5 page's silent-login code to run in an ordinary browser. Codes are minted by the emulator
 * this script was loaded from (POST /_mock/codes) for the user chosen by, in order:
 *   window.SILENT_LOGIN_MOCK.user, ?mock_user= in the page URL,
 *   localStorage['silent-login-mock-user'], or a floating user picker (announced to the page
 *   with a 'silent-login-mock-picker' event on document).
 * Failures like the real JSAPI: ?mock_fail=CODE or window.SILENT_LOGIN_MOCK.fail = CODE, where
 *   CODE is one the platform documents (the emulator's lists, silent_login_mock::jsapi_failures,
 *   filled in below when the emulator serves this file). Any other CODE is a usage error: it is
 *   reported with console.error and the call fails with the platform's documented "could not
 *   get a code" failure (DingTalk 3 系统异常, Feishu 10232), as when the emulator is unreachable.
 * Another app: ?mock_app= or window.SILENT_LOGIN_MOCK.app.
 */
(function () {
  'use strict';

  var STORAGE_KEY = 'silent-login-mock-user';
  var script = document.currentScript;
  var ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;

  // Every failure the emulated clients can produce, by platform: {failures: [{code, message}],
  // fallback: {code, message}}. The emulator writes them here when it serves this file
  // (mock/src/failures.rs); nothing else in this file invents a failure.
  var FAILURES = /*@SILENT_LOGIN_MOCK_FAILURES@*/null;

  function settings() {
    var fromWindow = window.SILENT_LOGIN_MOCK || {};
    var query = new URLSearchParams(location.search);
    var stored = null;
    try {
      stored = window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      stored = null;
    }
    return {
      user: fromWindow.user || query.get('mock_user') || stored,
      fail: fromWindow.fail || query.get('mock_fail'),
      app: fromWindow.app || query.get('mock_app')
    };
  }

  // The fail object of `provider`'s client for `failure`, with an optional note for the developer.
  function failureShape(provider, failure, note) {
    var message = failure.message;
    if (note) { message = (message ? message + ' ' : '') + '(silent-login-mock: ' + note + ')'; }
    return provider === 'dingtalk'
      ? { errorCode: failure.code, errorMessage: message }
      : { errCode: failure.code, errMsg: message };
  }

  // The documented "could not get a code" failure, after telling the developer why on the console.
  function fallbackFailure(provider, note) {
    console.error('silent-login-mock: ' + note);
    return failureShape(provider, FAILURES[provider].fallback, note);
  }

  // What ?mock_fail=CODE produces: the first documented failure with that code.
  function forcedFailure(provider, code) {
    var table = FAILURES[provider].failures;
    var n = Number(code);
    for (var i = 0; i < table.length; i += 1) {
      if (table[i].code === n) { return failureShape(provider, table[i]); }
    }
    var known = table.map(function (f) { return f.code; })
      .filter(function (c, index, all) { return all.indexOf(c) === index; })
      .sort(function (a, b) { return a - b; });
    return fallbackFailure(provider, 'mock_fail=' + code + ' is not a JSAPI failure code ' +
      (provider === 'dingtalk' ? 'DingTalk' : 'Feishu') + ' documents; use one of ' +
      known.join(', '));
  }

  var pickerWaiters = [];

  function showPicker(provider) {
    if (document.getElementById('silent-login-mock-picker')) {
      return;
    }
    var box = document.createElement('div');
    box.id = 'silent-login-mock-picker';
    box.setAttribute('style', 'position:fixed;right:12px;bottom:12px;z-index:2147483647;' +
      'background:#fffbe6;border:2px solid #faad14;border-radius:8px;padding:10px 12px;' +
      'font:14px sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.3)');
    var title = document.createElement('div');
    title.setAttribute('style', 'font-weight:bold;margin-bottom:6px');
    title.textContent = 'silent-login emulator (' + provider + ' client): choose a demo user';
    box.appendChild(title);
    var label = document.createElement('label');
    label.textContent = 'Sign in as: ';
    var select = document.createElement('select');
    select.id = 'silent-login-mock-user';
    var button = document.createElement('button');
    button.id = 'silent-login-mock-go';
    button.type = 'button';
    button.textContent = 'Go';
    label.appendChild(select);
    box.appendChild(label);
    box.appendChild(document.createTextNode(' '));
    box.appendChild(button);
    (document.body || document.documentElement).appendChild(box);
    // The page can point at the picker ("choose a demo user at the bottom right").
    document.dispatchEvent(new CustomEvent('silent-login-mock-picker', { detail: { provider: provider } }));

    fetch(ORIGIN + '/_mock/users?provider=' + encodeURIComponent(provider))
      .then(function (r) { return r.json(); })
      .then(function (users) {
        users.forEach(function (u) {
          var option = document.createElement('option');
          option.value = u.id;
          var notes = [];
          if (u.admin) { notes.push('admin'); }
          if (!u.visible) { notes.push('not visible'); }
          if (u.status !== 'active') { notes.push(u.status); }
          option.textContent = u.name + ' (' + u.id + ')' + (notes.length ? ' — ' + notes.join(', ') : '');
          select.appendChild(option);
        });
      });

    button.addEventListener('click', function () {
      var user = select.value;
      if (!user) {
        return;
      }
      try {
        window.localStorage.setItem(STORAGE_KEY, user);
      } catch (e) { /* storage unavailable */ }
      box.parentNode.removeChild(box);
      var waiters = pickerWaiters;
      pickerWaiters = [];
      waiters.forEach(function (resolve) { resolve(user); });
    });
  }

  function chooseUser(provider) {
    var user = settings().user;
    if (user) {
      return Promise.resolve(user);
    }
    return new Promise(function (resolve) {
      pickerWaiters.push(resolve);
      if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', function () { showPicker(provider); });
      } else {
        showPicker(provider);
      }
    });
  }

  // Resolves with the code; rejects with the provider's fail object.
  function mint(provider, kind, target) {
    var s = settings();
    if (s.fail) {
      return Promise.reject(forcedFailure(provider, s.fail));
    }
    return chooseUser(provider).then(function (user) {
      var body = { provider: provider, user: user, kind: kind };
      if (s.app) { body.app = s.app; }
      if (provider === 'dingtalk' && target) { body.corp_id = target; }
      if (provider === 'feishu' && target && !s.app) { body.app = target; }
      return fetch(ORIGIN + '/_mock/codes', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (json) {
          if (response.ok) {
            return json.code;
          }
          // A refusal is already the client's fail object; anything else is the emulator's own
          // complaint about the request.
          if (json && json[provider === 'dingtalk' ? 'errorCode' : 'errCode'] != null) {
            throw json;
          }
          throw fallbackFailure(provider, 'the emulator refused the request: ' + JSON.stringify(json));
        }, function () {
          throw fallbackFailure(provider, 'the emulator answered HTTP ' + response.status + ' without JSON');
        });
      }, function (error) {
        throw fallbackFailure(provider, 'the emulator at ' + ORIGIN + ' is unreachable: ' + error);
      });
    });
  }

  // Calls the callbacks and returns a promise, like the real SDKs.
  function call(promise, shape, onSuccess, onFail) {
    var result = promise.then(function (code) {
      var value = shape(code);
      if (typeof onSuccess === 'function') { onSuccess(value); }
      return value;
    }, function (error) {
      if (typeof onFail === 'function') { onFail(error); }
      throw error;
    });
    result.catch(function () { /* handled by the caller's callbacks */ });
    return result;
  }

  function later(cb) {
    if (typeof cb === 'function') { setTimeout(cb, 0); }
  }

  // ----- DingTalk -----
  var ddErrorHandlers = [];
  function ddCode(kind, shape) {
    return function (opts) {
      opts = opts || {};
      var promise = mint('dingtalk', kind, opts.corpId).catch(function (error) {
        ddErrorHandlers.forEach(function (h) { h(error); });
        throw error;
      });
      return call(promise, shape, opts.onSuccess || opts.success, opts.onFail || opts.fail);
    };
  }
  window.dd = {
    env: { platform: 'notInDingTalk', mock: true },
    ready: later,
    error: function (cb) { if (typeof cb === 'function') { ddErrorHandlers.push(cb); } },
    config: function () {},
    runtime: {
      permission: {
        requestAuthCode: ddCode('h5', function (code) { return { code: code }; }),
        requestOperateAuthCode: ddCode('h5', function (code) { return { code: code }; })
      }
    },
    getAuthCode: ddCode('mini_program', function (code) { return { authCode: code, code: code }; })
  };

  // ----- Feishu / Lark -----
  window.h5sdk = {
    ready: later,
    error: function () {},
    config: function (opts) { if (opts && typeof opts.onSuccess === 'function') { later(opts.onSuccess); } }
  };
  window.tt = {
    requestAuthCode: function (opts) {
      opts = opts || {};
      return call(mint('feishu', 'feishu_web_app', opts.appId),
        function (code) { return { code: code }; }, opts.success, opts.fail);
    },
    requestAccess: function (opts) {
      opts = opts || {};
      return call(mint('feishu', 'feishu_web_app', opts.appID || opts.appId),
        function (code) { return { code: code, state: opts.state }; }, opts.success, opts.fail);
    },
    login: function (opts) {
      opts = opts || {};
      return call(mint('feishu', 'feishu_gadget', null),
        function (code) { return { code: code }; }, opts.success, opts.fail);
    }
  };

  window.SILENT_LOGIN_MOCK_SHIM = { origin: ORIGIN, forgetUser: function () {
    try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* storage unavailable */ }
  } };
}());
