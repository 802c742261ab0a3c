import { subject } from '@casl/ability';
import { AccessAction, AccessSubject, AppAbility } from './access-model';

/** The rows of a listing the caller may see: each row is judged by the same ability the guard used. */
export function permittedRows<T>(
  ability: AppAbility,
  action: AccessAction,
  type: Exclude<AccessSubject, 'all'>,
  rows: readonly T[],
  attrsOf: (row: T) => Record<string, unknown>,
): T[] {
  return rows.filter((row) =>
    ability.can(action, subject(type, { ...attrsOf(row) }) as Parameters<AppAbility['can']>[1]),
  );
}

/** Whether the caller may do `action` on every instance of `type` (an unconditional rule): lists can skip filtering. */
export function canOnAll(
  ability: AppAbility,
  action: AccessAction,
  type: Exclude<AccessSubject, 'all'>,
): boolean {
  return ability.rulesFor(action, type).some((rule) => !rule.conditions && !rule.inverted);
}
