import { ApiError } from './http';

export interface StringRule {
  required?: boolean;
  min?: number;
  max?: number;
  oneOf?: readonly string[];
}

export interface NumberRule {
  required?: boolean;
  min?: number;
  max?: number;
}

export interface ListRule extends StringRule {
  minItems?: number;
  maxItems?: number;
}

/** Smithy length constraints count Unicode code points, not UTF-16 units. */
export const lengthOf = (value: string): number => [...value].length;

const wrongType = (path: string, expected: string) =>
  new ApiError(400, 'SerializationException', `Value at '${path}' must be ${expected}.`);

/**
 * Checks one request against its operation's constraints and reports every violation at once, worded like AWS
 * ("N validation errors detected: Value at 'X' failed to satisfy constraint: ..."). Values are never echoed:
 * some are secrets (the ConnectionToken) and others can be huge. A value of the wrong JSON type is a
 * SerializationException, raised at once, as AWS does.
 */
export class RequestValidator {
  private readonly failures: string[] = [];
  /** Participant operations answer ValidationException; Connect ones InvalidParameterException. */
  private readonly errorType: string;

  constructor(errorType = 'ValidationException') {
    this.errorType = errorType;
  }

  /** A required member comes back as `''` when missing; `done()` then throws before the caller can use it. */
  string(path: string, value: unknown, rule: StringRule & { required: true }): string;
  string(path: string, value: unknown, rule?: StringRule): string | undefined;
  string(path: string, value: unknown, rule: StringRule = {}): string | undefined {
    if (value === undefined || value === null) {
      if (!rule.required) return undefined;
      this.fail(path, 'Member must not be null');
      return '';
    }
    if (typeof value !== 'string') throw wrongType(path, 'a string');
    const length = lengthOf(value);
    if (rule.min !== undefined && length < rule.min) {
      this.fail(path, `Member must have length greater than or equal to ${rule.min}`);
    } else if (rule.max !== undefined && length > rule.max) {
      this.fail(path, `Member must have length less than or equal to ${rule.max}`);
    } else if (rule.oneOf !== undefined && !rule.oneOf.includes(value)) {
      this.fail(path, `Member must satisfy enum value set: [${rule.oneOf.join(', ')}]`);
    }
    return value;
  }

  integer(path: string, value: unknown, rule: NumberRule & { required: true }): number;
  integer(path: string, value: unknown, rule?: NumberRule): number | undefined;
  integer(path: string, value: unknown, rule: NumberRule = {}): number | undefined {
    if (value === undefined || value === null) {
      if (!rule.required) return undefined;
      this.fail(path, 'Member must not be null');
      return 0;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrongType(path, 'an integer');
    if (rule.min !== undefined && value < rule.min) {
      this.fail(path, `Member must have value greater than or equal to ${rule.min}`);
    } else if (rule.max !== undefined && value > rule.max) {
      this.fail(path, `Member must have value less than or equal to ${rule.max}`);
    }
    return value;
  }

  boolean(path: string, value: unknown): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw wrongType(path, 'a boolean');
    return value;
  }

  object(path: string, value: unknown, required: true): Record<string, unknown>;
  object(path: string, value: unknown, required?: false): Record<string, unknown> | undefined;
  object(path: string, value: unknown, required = false): Record<string, unknown> | undefined {
    if (value === undefined || value === null) {
      if (!required) return undefined;
      this.fail(path, 'Member must not be null');
      return {};
    }
    if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'an object');
    return value as Record<string, unknown>;
  }

  stringList(path: string, value: unknown, rule: ListRule & { required: true }): string[];
  stringList(path: string, value: unknown, rule?: ListRule): string[] | undefined;
  stringList(path: string, value: unknown, rule: ListRule = {}): string[] | undefined {
    if (value === undefined || value === null) {
      if (!rule.required) return undefined;
      this.fail(path, 'Member must not be null');
      return [];
    }
    if (!Array.isArray(value)) throw wrongType(path, 'a list');
    if (rule.minItems !== undefined && value.length < rule.minItems) {
      this.fail(path, `Member must have length greater than or equal to ${rule.minItems}`);
    } else if (rule.maxItems !== undefined && value.length > rule.maxItems) {
      this.fail(path, `Member must have length less than or equal to ${rule.maxItems}`);
    }
    const items: string[] = [];
    value.forEach((item: unknown, index) => {
      const checked = this.string(`${path}.${index + 1}.member`, item, { ...rule, required: true });
      if (checked !== undefined) items.push(checked);
    });
    return items;
  }

  /** A string map (e.g. `Attributes`): checks each key and value. */
  stringMap(path: string, value: unknown, keyRule: StringRule, valueRule: StringRule): Record<string, string> | undefined {
    const map = this.object(path, value);
    if (map === undefined) return undefined;
    const result: Record<string, string> = {};
    for (const [key, item] of Object.entries(map)) {
      this.string(`${path}.key`, key, keyRule);
      const checked = this.string(`${path}.${key}`, item, { ...valueRule, required: true });
      if (checked !== undefined) result[key] = checked;
    }
    return result;
  }

  /** Throws the ValidationException naming every violation found so far, if any. */
  done(): void {
    if (this.failures.length === 0) return;
    const count = this.failures.length;
    const message = `${count} validation error${count === 1 ? '' : 's'} detected: ${this.failures.join('; ')}`;
    throw new ApiError(400, this.errorType, message);
  }

  private fail(path: string, constraint: string): void {
    this.failures.push(`Value at '${path}' failed to satisfy constraint: ${constraint}`);
  }
}
