export { globalNames, parcNames, PARC_ID_PATTERN, type GlobalNames, type ParcNames } from './names';
export { pickParc } from './router';
