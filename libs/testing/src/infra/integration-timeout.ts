// setupFilesAfterEnv of the integration project. `testTimeout` in a project config is ignored
// when Jest runs several projects at once (it is a global option), so the integration tests'
// longer timeout is set here, per test file: real brokers rebalance and JVMs take seconds.
jest.setTimeout(60_000);
