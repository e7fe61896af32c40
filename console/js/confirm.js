// A modal question with two buttons (a <dialog>: focus is kept inside, Escape cancels).
import { h } from './dom.js';
import { t } from './i18n.js';

// Resolves true when confirmed.
export function confirmDialog({ title, body, confirm }) {
  return new Promise((resolve) => {
    const titleId = 'confirm-title';
    const yes = h('button', { type: 'button', class: 'danger', on: { click: () => close(true) } }, confirm);
    const no = h('button', { type: 'button', class: 'secondary', on: { click: () => close(false) } }, t('dialog.cancel'));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title), body ? h('p', {}, body) : null, h('div', { class: 'actions-bar' }, yes, no));
    const opener = document.activeElement;
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    function close(answer) {
      dialog.close();
      dialog.remove();
      if (opener && opener.focus) opener.focus();
      resolve(answer);
    }
    document.body.append(dialog);
    dialog.showModal();
    yes.focus();
  });
}
