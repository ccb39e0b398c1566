export * from './model';
export { decide } from './decide';
export { DEFAULT_SCALING_POLICY, applyPolicyOverrides, type PolicyOverrides } from './policy';
