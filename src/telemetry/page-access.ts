// Who may read the status page and /status.json: with STATUS_PASSWORD set, only a request carrying
// basic authentication with STATUS_USERNAME and it. Basic rather than a bearer token because a
// browser asks for it by itself (the WWW-Authenticate answer brings up its login dialog, and it
// then sends the credentials with every fetch of /status.json): a token would need a login page
// and a place to keep it, code this page does not have. curl (-u) and every monitoring tool speak
// it too. Over plain HTTP it is readable on the wire: put TLS in front where that matters.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';

export type PageConfig = Pick<Config, 'statusUsername' | 'statusPassword' | 'statusShowFieldValues'>;

export interface PageCredential {
  username: string;
  password: string;
}

/** The credential the page asks for: none while STATUS_PASSWORD is empty. */
export function pageCredential(
  config: Omit<PageConfig, 'statusShowFieldValues'>,
): PageCredential | undefined {
  if (config.statusPassword === '') return undefined;
  return { username: config.statusUsername, password: config.statusPassword };
}

/** What a 401 answer carries so that a browser asks for the user name and password. */
export const authenticateHeader = 'Basic realm="arkime-kafka-indexer status", charset="UTF-8"';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether an `Authorization` header lets the request through: always, without a credential
 * configured (the page stays open, as before the setting existed). The user name and password
 * are compared as SHA-256 digests with timingSafeEqual: equal lengths whatever was sent, and a
 * comparison whose time says nothing about how much of the credential was right.
 */
export function pageAccess(
  credential: PageCredential | undefined,
): (authorization: string | undefined) => boolean {
  if (credential === undefined) return () => true;
  const expected = digest(`${credential.username}:${credential.password}`);
  return (authorization) => {
    const match = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization ?? '');
    if (match === null) return false;
    const given = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
    return timingSafeEqual(digest(given), expected);
  };
}
