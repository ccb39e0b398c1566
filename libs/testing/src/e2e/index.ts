export { buildScenario, expectedCalls, type Expected, type ScenarioRequest } from './scenario';
export { judgeDelivery, signatureProblem, verifyRun, type Verdict } from './verify';
export { API_KEY, DATA_PATH_APPS, WEBHOOK_SECRET, startStack, submitBatch, withDb, type DataPathApp, type Stack, type StackOptions } from './stack';
export { startScheduledStack, type ScheduledStack, type ScheduledStackOptions } from './scheduled-stack';
