export * from './model';
export { ARRIVALS_NEED_PARCS_KEY, changeTimesAfter, decide, PARCS_NEEDED_KEY, SATURATED_SINCE_KEY } from './decide';
export { DEFAULT_SCALING_POLICY, LOCAL_PROCESS_CPU_MILLIS, applyPolicyOverrides, localProcessPolicy, type PolicyOverrides } from './policy';
