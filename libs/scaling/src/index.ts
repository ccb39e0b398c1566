export * from './model';
export { ARRIVALS_NEED_PARCS_KEY, changeTimesAfter, decide, PARCS_NEEDED_KEY, SATURATED_SINCE_KEY } from './decide';
export { DEFAULT_SCALING_POLICY, applyPolicyOverrides, type PolicyOverrides } from './policy';
