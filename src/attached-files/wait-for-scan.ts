// The scan wait lives in the core (the upload queue uses it too); the attached-files entry keeps exporting it.
export { waitForScan } from '../core/scan';
export type { ScanOutcome, ScannedFile, WaitForScanOptions } from '../core/scan';
