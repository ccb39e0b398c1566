/**
 * @parc/dashboard: the live dashboard an operator opens at `/dashboard` (the scheduler's port, or
 * the embedded mode's): the pipeline with every queue's backlog and rates, instances and caller
 * parallelism, the Parcs, the budget, the scheduler's decisions with their reasons, backlog over
 * the last minutes, batches in progress and the destinations' breakers.
 */
export { registerDashboard, type DashboardOptions, type DashboardSource } from './routes';
export { BACKLOG_SERIES, TickHistory, decisionsOf, type BudgetView, type DashboardTick, type DashboardView, type DecisionView, type HistoryView, type ParcView, type QueueSample, type QueueView, type StageView } from './view';
