import { en } from './en.ts';

// One locale today; a translation adds a file shaped like en.ts and picks it here.
export const t = en;
export const locale = 'en';
