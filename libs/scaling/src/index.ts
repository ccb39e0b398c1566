export * from './model';
export { decide } from './decide';
export { DEFAULT_SCALING_POLICY } from './policy';
