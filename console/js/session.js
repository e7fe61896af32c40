// The API token of this tab: in sessionStorage only (gone when the tab closes, never shared
// with another tab, never in a URL or the page), and who it belongs to.
const KEY = 'relais.token';

let identity = null;  // {name, scopes, admin} from /api/v1/whoami

export function token() {
  return sessionStorage.getItem(KEY);
}

export function signIn(value, who) {
  sessionStorage.setItem(KEY, value);
  identity = who;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  identity = null;
}

export function who() {
  return identity;
}

export function setWho(value) {
  identity = value;
}

export function isAdmin() {
  return Boolean(identity && identity.admin);
}
