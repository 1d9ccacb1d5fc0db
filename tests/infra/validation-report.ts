import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';

/** One rule's finding in the CDK's `validation-report.json`. */
export interface ReportedViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
  readonly reason?: string;
  readonly acknowledgedId?: string;
}

/** What every validation plugin (cdk-nag, CloudFormation Validate, annotations) said about the app. */
export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly ReportedViolation[];
    readonly suppressedViolations?: readonly ReportedViolation[];
  }[];
}

/**
 * Synthesises `app` into `outdir` and returns the CDK's validation report. In a test process the CDK
 * throws when a plugin reports an error; the report is written before that, so it is read either way and
 * the test can say exactly which findings were left unacknowledged.
 */
export function synthValidationReport(app: App, outdir: string): ValidationReport {
  const reportFile = join(outdir, 'validation-report.json');
  try {
    app.synth();
  } catch (error) {
    if (!existsSync(reportFile)) throw error;
  }
  return JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
}

/** Every finding no acknowledgement covers, as `plugin: rule at path` lines that read well in a diff. */
export function unacknowledgedFindings(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) =>
          `${plugin.pluginName}: ${violation.ruleName} (${violation.severity}) at ${construct.constructPath}`,
      ),
    ),
  );
}

/** One `Validations.of(…).acknowledge(…)` made anywhere in the app: the rule and the reason given. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly constructPath: string;
}

/**
 * Every acknowledgement recorded in the app's construct tree, whether or not its rule fires today: the
 * report lists only the findings that fired, so this is what shows every reason written down.
 */
export function acknowledgementsIn(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id,
          reason,
          constructPath: construct.node.path,
        })),
      ),
  );
}
