import type { WebContext } from './context.js';

/**
 * Anti-forgery field for the forms behind personal links: signed for the same subscriber with the
 * purpose 'form', valid for a day, so another site cannot post a form on someone's behalf.
 */
const FORM_TTL_MS = 24 * 3_600_000;

export function formToken(ctx: WebContext, subscriberId: number): string {
  return ctx.app.signer.sign('form', subscriberId, new Date(ctx.app.now().getTime() + FORM_TTL_MS));
}

export function formTokenValid(ctx: WebContext, token: string, subscriberId: number): boolean {
  return ctx.app.signer.verify('form', token, ctx.app.now()) === subscriberId;
}
