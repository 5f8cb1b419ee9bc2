/*
 * The H5 page of a DingTalk / Feishu / Lark micro app, logging in silently (免登).
 *
 * On load: GET /api/me. A session (cookie) → show the user. 401 → ask the platform's JSAPI for
 * a one-time code and POST it to /api/login; if the JSAPI fails, POST its error instead, so the
 * server answers with the catalog's explanation. Every failure shows errmsg, the cause that
 * applies, all causes and the fix, in the language the browser asks for (Accept-Language).
 *
 * window.SILENT_LOGIN_CONFIG = {provider, corpId, appId, scopeList, jsapiUrl, emulated} comes
 * from the server. No build step: plain ES5 + fetch + Promise, which every client webview has.
 *
 * Feishu / Lark: tt.requestAccess({appID, scopeList}) — appID with a capital D; scopeList []
 * asks for the user's identity only — on clients from V6.9.0; tt.requestAuthCode({appId}) when
 * the JSSDK has no requestAccess or the client answers errno 103 (older than V6.9.0)
 * (https://open.feishu.cn/document/client-docs/h5/development-guide/step-3). A failure is
 * forwarded with both of its codes, errno and errCode, when it has them: the server prefers
 * errno, as Feishu's Errno page asks.
 *
 * In development (emulated) the emulator's shim picks the user: ?mock_user=ID, the last pick, or
 * its picker box; "Switch user" logs out and shows the picker again, and a ?mock_user= that names
 * someone else than the session's user logs in again as that user.
 */
(function () {
  'use strict';

  var config = window.SILENT_LOGIN_CONFIG || {};
  var LOGGED_OUT = 'silent-login-demo-logged-out';
  var SECTIONS = ['status', 'user', 'logged-out', 'error'];
  var PROVIDERS = { dingtalk: 'DingTalk 钉钉', feishu: 'Feishu 飞书', lark: 'Lark' };

  var TEXT = {
    en: {
      title: 'Silent login', checking: 'Checking your session…',
      loggingIn: 'Logging in with {provider}…', loggedInAs: 'Logged in as', name: 'Name',
      userId: 'User ID', tenant: 'Organization', admin: 'Admin', yes: 'yes', no: 'no',
      logout: 'Log out', loggedOut: 'You are logged out.', loginAgain: 'Log in again',
      loginFailed: 'Login failed', cause: 'What happened', causes: 'Possible causes',
      otherCauses: 'Other possible causes',
      solution: 'How to fix it', docs: 'Documentation', retry: 'Try again',
      switchUser: 'Switch user',
      pickUser: 'Choose a demo user in the emulator\u2019s box at the bottom right to log in.',
      emulated: 'development: the embedded emulator stands in for {provider}',
      noJsapi: 'The {provider} JSAPI did not load from {url}.',
      noJsapiFix: 'Open this page inside the {provider} client, and check that SILENT_LOGIN_JSAPI_URL is the official SDK URL.',
      network: 'The server could not be reached.', networkFix: 'Check the connection and try again.',
      requestId: 'request id',
      jsapiUsed: 'Login JSAPI: {api}',
      noRequestAccess: '(this client\u2019s JSSDK has no tt.requestAccess)',
      requestAccessErrno103: '(tt.requestAccess answered errno 103: the client is older than V6.9.0)'
    },
    zh: {
      title: '免登', checking: '正在检查登录状态…',
      loggingIn: '正在通过{provider}免登…', loggedInAs: '当前用户', name: '姓名',
      userId: '用户 ID', tenant: '组织', admin: '管理员', yes: '是', no: '否',
      logout: '退出登录', loggedOut: '已退出登录。', loginAgain: '重新登录',
      loginFailed: '登录失败', cause: '原因', causes: '可能的原因',
      otherCauses: '其他可能的原因',
      solution: '解决方法', docs: '文档', retry: '重试',
      switchUser: '切换用户',
      pickUser: '请在右下角的模拟器窗口中选择一个演示用户登录。',
      emulated: '开发模式：内置模拟器代替{provider}',
      noJsapi: '{provider} JSAPI 未能从 {url} 加载。',
      noJsapiFix: '请在{provider}客户端内打开本页面，并检查 SILENT_LOGIN_JSAPI_URL 是否为官方 SDK 地址。',
      network: '无法连接服务器。', networkFix: '请检查网络后重试。',
      requestId: '请求 ID',
      jsapiUsed: '免登 JSAPI：{api}',
      noRequestAccess: '（此客户端的 JSSDK 没有 tt.requestAccess）',
      requestAccessErrno103: '（tt.requestAccess 返回 errno 103：客户端版本低于 V6.9.0）'
    }
  };
  var lang = /^zh/i.test(navigator.language || '') ? 'zh' : 'en';

  function t(key, values) {
    var text = TEXT[lang][key] || TEXT.en[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split('{' + name + '}').join(values[name]);
    });
    return text;
  }

  function $(id) { return document.getElementById(id); }

  function show(id) {
    SECTIONS.forEach(function (section) { $(section).hidden = section !== id; });
    document.body.setAttribute('data-state', id);
  }

  function setText(id, text) { $(id).textContent = text == null ? '' : String(text); }

  /* Text with `code spans` (the catalog and the server mark names and values so): each span
     becomes a <code> element; everything else stays text, never HTML. */
  function appendRich(element, text) {
    String(text == null ? '' : text).split('`').forEach(function (part, index) {
      if (!part) { return; }
      if (index % 2 === 1) {
        var code = document.createElement('code');
        code.textContent = part;
        element.appendChild(code);
      } else {
        element.appendChild(document.createTextNode(part));
      }
    });
  }

  function setRich(id, text) {
    var element = $(id);
    element.textContent = '';
    appendRich(element, text);
  }

  function providerName() { return PROVIDERS[config.provider] || config.provider; }

  function status(text) {
    setText('status-text', text);
    show('status');
  }

  function showUser(user) {
    setText('user-name', user.name || '');
    setText('user-id', user.user_id);
    setText('user-tenant', user.tenant || '');
    setText('user-admin', user.is_admin ? t('yes') : t('no'));
    show('user');
  }

  /* The server's error body: {errcode, errmsg, cause, causes, solution, docs, detail, request_id}.
     A heading shows only with something under it, and the cause that applies is not repeated
     among the possible ones. */
  function showError(body) {
    setText('errcode', body.errcode);
    setRich('errmsg', body.errmsg);
    setRich('cause', body.cause || '');
    $('cause-box').hidden = !body.cause;
    var list = $('causes');
    list.textContent = '';
    var others = (body.causes || []).filter(function (cause) { return cause !== body.cause; });
    others.forEach(function (cause) {
      var item = document.createElement('li');
      appendRich(item, cause);
      list.appendChild(item);
    });
    $('causes-box').hidden = others.length === 0;
    setText('causes-title', t(body.cause ? 'otherCauses' : 'causes'));
    setRich('solution', body.solution || '');
    $('solution-box').hidden = !body.solution;
    setRich('detail', body.detail || '');
    var docs = $('docs');
    docs.hidden = !body.docs;
    if (body.docs) { docs.href = body.docs; }
    setText('request-id', body.request_id ? t('requestId') + ' ' + body.request_id : '');
    show('error');
  }

  function networkError() {
    showError({ errcode: '', errmsg: t('network'), cause: null, causes: [], solution: t('networkFix') });
  }

  function json(response) {
    return response.json().then(function (body) {
      return { ok: response.ok, status: response.status, body: body };
    });
  }

  function fetchMe() {
    return fetch('/api/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(json);
  }

  function showMe() {
    return fetchMe().then(function (me) {
      if (me.ok) { showUser(me.body); } else { showError(me.body); }
    });
  }

  /* Sends the code — or the JSAPI's failure, which the server explains from the catalog. */
  function postLogin(body) {
    return fetch('/api/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body)
    }).then(json).then(function (answer) {
      if (!answer.ok) { return showError(answer.body); }
      return showMe();
    }).catch(networkError);
  }

  function jsapiMissing() {
    showError({
      errcode: '', errmsg: t('noJsapi', { provider: providerName(), url: config.jsapiUrl }),
      cause: null, causes: [], solution: t('noJsapiFix', { provider: providerName() })
    });
  }

  function failure(code) {
    return code == null ? -1 : code;
  }

  /* Development only, next to the provider: which JSAPI asked for the code, and why the
     fallback when it is one. */
  function showJsapi(api, why) {
    if (!config.emulated) { return; }
    setText('jsapi', t('jsapiUsed', { api: api }) + (why ? ' ' + t(why) : ''));
    $('jsapi').hidden = false;
  }

  function dingtalkLogin() {
    if (!window.dd || !dd.runtime) { return jsapiMissing(); }
    dd.ready(function () {
      showJsapi('dd.runtime.permission.requestAuthCode');
      dd.runtime.permission.requestAuthCode({
        corpId: config.corpId,
        onSuccess: function (result) { postLogin({ tmp_auth_code: result.code }); },
        onFail: function (error) {
          error = error || {};
          postLogin({
            errorCode: failure(error.errorCode),
            errorMessage: error.errorMessage || JSON.stringify(error)
          });
        }
      });
    });
  }

  /* Feishu's fail object as the server reads it: errno (+ errString) and errCode (+ errMsg),
     each when the client gave it — two code spaces; the server prefers errno. */
  function feishuFailure(error) {
    error = error || {};
    var body = { errMsg: error.errMsg || JSON.stringify(error) };
    if (error.errno != null) {
      body.errno = error.errno;
      if (error.errString != null) { body.errString = String(error.errString); }
    }
    if (error.errCode != null || error.errno == null) { body.errCode = failure(error.errCode); }
    return body;
  }

  /* The scopes to ask for: the server's SILENT_LOGIN_CONFIG.scopeList, else none — [] is the
     user's identity only. */
  function scopeList() {
    return Array.isArray(config.scopeList) ? config.scopeList : [];
  }

  /* Clients before V6.9.0, and requestAccess's fallback. Note the lower-case d of appId. */
  function feishuRequestAuthCode(why) {
    showJsapi('tt.requestAuthCode', why);
    tt.requestAuthCode({
      appId: config.appId,
      success: function (result) { postLogin({ code: result.code }); },
      fail: function (error) { postLogin(feishuFailure(error)); }
    });
  }

  function feishuRequestAccess() {
    showJsapi('tt.requestAccess');
    tt.requestAccess({
      appID: config.appId,
      scopeList: scopeList(),
      success: function (result) { postLogin({ code: result.code }); },
      fail: function (error) {
        /* 103 "feature not support": a client older than V6.9.0. */
        if (error && Number(error.errno) === 103) {
          return feishuRequestAuthCode('requestAccessErrno103');
        }
        postLogin(feishuFailure(error));
      }
    });
  }

  function feishuLogin() {
    if (!window.h5sdk || !window.tt) { return jsapiMissing(); }
    window.h5sdk.ready(function () {
      if (typeof window.tt.requestAccess === 'function') {
        feishuRequestAccess();
      } else {
        feishuRequestAuthCode('noRequestAccess');
      }
    });
  }

  function login() {
    status(t('loggingIn', { provider: providerName() }));
    if (config.provider === 'dingtalk') { dingtalkLogin(); } else { feishuLogin(); }
  }

  function endSession() {
    return fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
  }

  function logout() {
    endSession().then(function () {
      try { window.sessionStorage.setItem(LOGGED_OUT, '1'); } catch (e) { /* no storage */ }
      show('logged-out');
    }).catch(networkError);
  }

  /* Development only: forget the emulator's pick (and ?mock_user=) so that its picker shows. */
  function switchUser() {
    endSession().then(function () {
      if (window.SILENT_LOGIN_MOCK_SHIM) { window.SILENT_LOGIN_MOCK_SHIM.forgetUser(); }
      var query = new URLSearchParams(location.search);
      if (query.has('mock_user')) {
        query['delete']('mock_user');
        var search = query.toString();
        history.replaceState(null, '', location.pathname + (search ? '?' + search : '') + location.hash);
      }
      login();
    }).catch(networkError);
  }

  /* The user ?mock_user= asks the emulator for, in development. */
  function requestedMockUser() {
    if (!config.emulated) { return null; }
    return new URLSearchParams(location.search).get('mock_user');
  }

  function loginAgain() {
    try { window.sessionStorage.removeItem(LOGGED_OUT); } catch (e) { /* no storage */ }
    login();
  }

  function loggedOutEarlier() {
    try { return window.sessionStorage.getItem(LOGGED_OUT) === '1'; } catch (e) { return false; }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (element) {
      element.textContent = t(element.getAttribute('data-i18n'));
    });
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    setText('provider', config.emulated
      ? t('emulated', { provider: providerName() })
      : providerName());
    $('logout').addEventListener('click', logout);
    $('login').addEventListener('click', loginAgain);
    $('retry').addEventListener('click', login);
    $('switch-user').hidden = !config.emulated;
    $('switch-user').addEventListener('click', switchUser);
    /* The emulator's shim announces its picker: say where it is. */
    document.addEventListener('silent-login-mock-picker', function () { status(t('pickUser')); });
    if (loggedOutEarlier()) { return show('logged-out'); }
    status(t('checking'));
    /* Reload keeps the session: only a 401 (or, in development, ?mock_user= naming someone
       else) starts the JSAPI login. */
    fetchMe().then(function (me) {
      var wanted = requestedMockUser();
      if (me.ok && wanted && wanted !== me.body.user_id) {
        return endSession().then(login);
      }
      if (me.ok) { return showUser(me.body); }
      if (me.status === 401) { return login(); }
      return showError(me.body);
    }).catch(networkError);
  }

  start();
}());
