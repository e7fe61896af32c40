// Routes in the URL's fragment (#/jobs?state=dead): bookmarkable, reloadable, and never sent
// to the server. Only page state goes there, never the token.

const routes = [];

// route('/jobs/:id', page): page.render(container, {id}, query) returns {dispose()} or nothing.
export function route(pattern, page) {
  const names = [];
  const regex = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  }) + '$');
  routes.push({ regex, names, page });
}

export function current() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

export function match(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) {
      const params = {};
      r.names.forEach((name, i) => { params[name] = decodeURIComponent(m[i + 1]); });
      return { page: r.page, params };
    }
  }
  return null;
}

export function href(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return '#' + path + (s ? '?' + s : '');
}

// Changes the query of the current route without a new history entry (filters typed in).
export function replaceQuery(params) {
  history.replaceState(null, '', href(current().path, params));
}

export function go(path, params) {
  location.hash = href(path, params).slice(1);
}
