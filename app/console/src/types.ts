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

export interface Finding { code: string; severity: 'error' | 'warning' | 'info'; category: string; objects: { table?: string; column?: string; target?: string }[]; message: string; fix?: string }
export interface AssessmentReport {
  ok: boolean; task: string; sourceEngine: string; migrationType: string; profile: string; assessedAt: string;
  summary: { errors: number; warnings: number; infos: number }; scope: { area: string; checked: string }[];
  estimate: { rowsPerSecond: number; rows: number; bytes: number; fullLoadSeconds: number } | null; findings: Finding[];
}
export interface StoredAssessment { report: AssessmentReport | null; requestedBy: string | null; options: Record<string, unknown>; durationMs: number; running?: boolean }

export interface ConversionItem { kind: string; object: string; outcome: 'auto' | 'warning' | 'manual'; target?: string; reason?: string; fix?: string }
export interface ConvertedTable {
  source: string; target: string; ddl: string[];
  columns: { column: string; sourceType: string | null; targetType: string | null; outcome: 'auto' | 'warning' | 'manual'; reason?: string; fix?: string }[];
  issues: ConversionItem[];
}
export interface SchemaConversion {
  task: string; reason: string | null;
  targets: { name: string; type: string; dialect: string; schema: string | null; source: { engine: string; serverVersion: string }; summary: { kind: string; total: number; auto: number; warning: number; manual: number }[]; tables: ConvertedTable[]; other: ConversionItem[] }[];
}

export interface ValidationFailure { cursor: string; id: number; target: string; sourceTable: string; targetTable: string; key: Record<string, string>; failureType: string; columns: string[]; detectedAt: string; values?: Record<string, { source: string | null; target: string | null }> | null }
export interface ValidationFailures { task: string; reason: string | null; targets: { name: string; table: string; exists: boolean | null; error: string | null }[]; failures: ValidationFailure[]; next: string | null; valuesError?: string | null }
