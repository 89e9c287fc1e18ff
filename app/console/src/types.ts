/** The API's answers the console reads (docs/api/openapi.yaml). */
export type TaskState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export interface TaskSummary {
  name: string; status: TaskState; reason: string | null; since: string; desired: 'running' | 'stopped';
  engine: string | null; migrationType: string | null; createdAt: string; updatedAt: string;
}
export interface TaskDetail extends TaskSummary { definition: Record<string, unknown> }

export interface FullLoad { state: 'not started' | 'running' | 'done'; rows: number; rowsTotalEstimate: number | null; percent: number | null; etaSeconds: number | null }
export interface Latency { sourceMs: number | null; targetMs: number | null; lastChangeSourceTime: string | null; lastChangeWrittenTime: string | null }
export interface TaskStatus extends TaskSummary {
  fullLoad: FullLoad; latency: Latency;
  tables: { total: number; beforeLoad: number; fullLoad: number; completed: number; cancelled: number; error: number };
  pendingReloads: string[]; eventsPerSecond: number | null;
}

export interface TableStatistics {
  schemaName: string; tableName: string; inserts: number; updates: number; deletes: number; ddls: number;
  fullLoadRows: number; fullLoadReloaded: boolean; fullLoadStartTime: string | null; fullLoadEndTime: string | null;
  lastUpdateTime: string | null; tableState: string; validationState: string;
  validationValidatedRecords?: number; validationPendingRecords?: number; validationFailedRecords?: number; validationSuspendedRecords?: number;
  validationStateDetails?: string | null;
}

export interface HistorySample { time: string; state: string; sourceLatencyMs: number | null; targetLatencyMs: number | null; eventsPerSecond: number | null; eventsTotal: number }
export interface HistoryEvent { time: string; state: string; reason: string | null; code: string | null; meaning: string | null; disposition: string | null }
export interface TaskHistory { name: string; sampleMs: number; samples: HistorySample[]; events: HistoryEvent[] }

export interface AuditEntry {
  seq: number; time: string; actor: { name: string | null; role: string | null; revoked?: true }; source: { address: string | null };
  action: string; method: string; path: string; params: Record<string, unknown>; result: { status: number; code?: string };
}
