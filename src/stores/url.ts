/** Connection URLs in messages and logs. */

/** The URL without its password (`scheme://user:***@host…`), for messages and logs. */
export const redactUrl = (url: string): string => url.replace(/^([a-z0-9+.-]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
