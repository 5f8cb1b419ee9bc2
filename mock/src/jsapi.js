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
 *   filled in below when the emulator serves this file). An errno (Feishu 103, 104, 107, 111,
 *   2700001, 2700002) fails as {errMsg, errno, errString}, an errCode as {errCode, errMsg}.
 *   Any other CODE is a usage error: it is reported with console.error and the call fails with
 *   the platform's documented "could not get a code" failure (DingTalk 3 系统异常, Feishu
 *   10232), as when the emulator is unreachable.
 * Another app: ?mock_app= or window.SILENT_LOGIN_MOCK.app.
 * An older Feishu client: ?mock_client= or window.SILENT_LOGIN_MOCK.client (read when this
 *   script loads) — `old`: no tt.requestAccess at all (a client before V6.9.0 with an old
 *   JSSDK); `no_access`: tt.requestAccess exists but fails with errno 103 "feature not
 *   support" (a client before V6.9.0). tt.requestAuthCode works in both.
 * tt.requestAccess follows its documented rules: `appID` (capital D) is required — `appId`, the
 *   spelling of requestAuthCode, fails with errno 104 "invalid parameter" — and `scopeList`
 *   must be an array of strings (else 104); its code lives 3 minutes (requestAuthCode's 5) and
 *   remembers the scopes. Which errno the real client gives for a bad parameter is not
 *   documented; 104 is the Errno page's "参数错误".
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
      app: fromWindow.app || query.get('mock_app'),
      client: fromWindow.client || query.get('mock_client')
    };
  }

  // The fail object of `provider`'s client for `failure`, with an optional note for the
  // developer. `api` names the Feishu API for errMsg ("requestAccess:fail …", the standard
  // object's `${API_NAME}:fail`); requestAuthCode's errMsg stays the errCode table's text.
  function failureShape(provider, failure, note, api) {
    var message = failure.message;
    if (note) { message = (message ? message + ' ' : '') + '(silent-login-mock: ' + note + ')'; }
    if (provider === 'dingtalk') { return { errorCode: failure.code, errorMessage: message }; }
    if (failure.space === 'errno') {
      // errString stays the Errno page's text; the note goes to errMsg only.
      return { errMsg: (api || 'requestAuthCode') + ':fail ' + message, errno: failure.code, errString: failure.message };
    }
    return { errCode: failure.code, errMsg: api === 'requestAccess' ? 'requestAccess:fail ' + message : message };
  }

  // The documented "could not get a code" failure, after telling the developer why on the console.
  function fallbackFailure(provider, note, api) {
    console.error('silent-login-mock: ' + note);
    return failureShape(provider, FAILURES[provider].fallback, note, api);
  }

  // The documented failure with `code` in `space` (`errno` or `err_code`): the shim's own
  // refusals (tt.requestAccess's parameters, an old client) come from the emulator's lists too.
  function documented(provider, code, space) {
    var table = FAILURES[provider].failures;
    for (var i = 0; i < table.length; i += 1) {
      if (table[i].code === code && table[i].space === space) { return table[i]; }
    }
    return FAILURES[provider].fallback;
  }

  // What ?mock_fail=CODE produces: the first documented failure with that code.
  function forcedFailure(provider, code, api) {
    var table = FAILURES[provider].failures;
    var n = Number(code);
    for (var i = 0; i < table.length; i += 1) {
      if (table[i].code === n) { return failureShape(provider, table[i], null, api); }
    }
    var known = table.map(function (f) { return f.code; })
      .filter(function (c, index, all) { return all.indexOf(c) === index; })
      .sort(function (a, b) { return a - b; });
    return fallbackFailure(provider, 'mock_fail=' + code + ' is not a JSAPI failure code ' +
      (provider === 'dingtalk' ? 'DingTalk' : 'Feishu') + ' documents; use one of ' +
      known.join(', '), api);
  }

  // ?mock_client=: which Feishu client the shim plays. Read once, as the real JSSDK is what it
  // is when the page loads.
  var CLIENTS = ['current', 'old', 'no_access'];
  var feishuClient = (function () {
    var client = settings().client;
    if (!client) { return 'current'; }
    if (CLIENTS.indexOf(client) < 0) {
      console.error('silent-login-mock: mock_client=' + client + ' is not a client the shim ' +
        'plays; use one of ' + CLIENTS.join(', ') + '. Playing the current client.');
      return 'current';
    }
    return client;
  }());

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

  // Resolves with the code; rejects with the provider's fail object. `api` is the Feishu API
  // ('requestAccess', 'requestAuthCode', 'login') for the fail object's errMsg; `scopes` the
  // scopeList of requestAccess.
  function mint(provider, kind, target, api, scopes) {
    var s = settings();
    if (s.fail) {
      return Promise.reject(forcedFailure(provider, s.fail, api));
    }
    return chooseUser(provider).then(function (user) {
      var body = { provider: provider, user: user, kind: kind };
      if (s.app) { body.app = s.app; }
      if (provider === 'dingtalk' && target) { body.corp_id = target; }
      if (provider === 'feishu' && target && !s.app) { body.app = target; }
      if (scopes) { body.scopes = scopes; }
      return fetch(ORIGIN + '/_mock/codes', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (json) {
          if (response.ok) {
            return json.code;
          }
          // A refusal is already the client's fail object (an errCode: which errno
          // requestAccess gives instead is not documented, so it keeps the errCode, with its
          // errMsg in the standard `requestAccess:fail …` form); anything else is the
          // emulator's own complaint about the request.
          if (json && json[provider === 'dingtalk' ? 'errorCode' : 'errCode'] != null) {
            if (api === 'requestAccess') { json.errMsg = 'requestAccess:fail ' + json.errMsg; }
            throw json;
          }
          throw fallbackFailure(provider, 'the emulator refused the request: ' + JSON.stringify(json), api);
        }, function () {
          throw fallbackFailure(provider, 'the emulator answered HTTP ' + response.status + ' without JSON', api);
        });
      }, function (error) {
        throw fallbackFailure(provider, 'the emulator at ' + ORIGIN + ' is unreachable: ' + error, api);
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
  // tt.requestAccess's errno 104 "invalid parameter" for a call the real client refuses, with
  // the reason on the console and in the note.
  function invalidParameter(note) {
    console.error('silent-login-mock: tt.requestAccess: ' + note);
    return failureShape('feishu', documented('feishu', 104, 'errno'), note, 'requestAccess');
  }

  // Why tt.requestAccess refuses `opts`, or null: `appID` (capital D) is required for web apps
  // and `scopeList` is a required Array<string>
  // (https://open.feishu.cn/document/web-app/gadget-api/open-ability/login/requestaccess).
  function accessParameterError(opts) {
    if (typeof opts.appID !== 'string' || !opts.appID) {
      return opts.appId != null
        ? 'it takes `appID` (capital D); `appId` is the spelling of tt.requestAuthCode'
        : '`appID` is required for a web app';
    }
    if (!Array.isArray(opts.scopeList) ||
        opts.scopeList.some(function (scope) { return typeof scope !== 'string'; })) {
      return '`scopeList` must be an array of scope names ([] = the user\u2019s identity only)';
    }
    return null;
  }

  function requestAccess(opts) {
    opts = opts || {};
    var refused = null;
    if (feishuClient === 'no_access') {
      refused = failureShape('feishu', documented('feishu', 103, 'errno'),
        'mock_client=no_access: a Feishu client before V6.9.0', 'requestAccess');
    } else {
      var problem = accessParameterError(opts);
      if (problem) { refused = invalidParameter(problem); }
    }
    var promise = refused
      ? Promise.reject(refused)
      : mint('feishu', 'feishu_access', opts.appID, 'requestAccess', opts.scopeList);
    return call(promise, function (code) {
      var result = { errMsg: 'requestAccess:ok', code: code };
      if (opts.state !== undefined) { result.state = opts.state; }
      return result;
    }, opts.success, opts.fail);
  }

  window.tt = {
    requestAuthCode: function (opts) {
      opts = opts || {};
      return call(mint('feishu', 'feishu_web_app', opts.appId, 'requestAuthCode'),
        function (code) { return { code: code }; }, opts.success, opts.fail);
    },
    login: function (opts) {
      opts = opts || {};
      return call(mint('feishu', 'feishu_gadget', null, 'login'),
        function (code) { return { code: code }; }, opts.success, opts.fail);
    }
  };
  // An old JSSDK has no requestAccess: pages test `window.tt.requestAccess` before calling it.
  if (feishuClient !== 'old') { window.tt.requestAccess = requestAccess; }

  window.SILENT_LOGIN_MOCK_SHIM = { origin: ORIGIN, forgetUser: function () {
    try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* storage unavailable */ }
  } };
}());
