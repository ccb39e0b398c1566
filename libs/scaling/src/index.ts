export * from './model';
export { decide } from './decide';
